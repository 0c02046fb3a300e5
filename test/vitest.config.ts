import { defineConfig } from 'vitest/config';

// Tests talk to a real Redis, PostgreSQL and the sandbox over HTTP; each file
// uses its own queue prefix / schema, so files may run side by side.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
