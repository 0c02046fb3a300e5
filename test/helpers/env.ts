import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
export const API_KEY = 'sk_test_5a4b3c2d1e';

export type StoreKind = 'sqlite' | 'postgres';

/** A unique, short, Redis-safe name for one test's keys. */
export const uniqueName = (label: string) => `t-${label}-${randomUUID().slice(0, 8)}`;

/** A config as a deployment would parse it, pointed at the local services and a private prefix / schema / file. */
export function testConfig(env: Record<string, string>): Readonly<Config> {
  return loadConfig({
    SAHUT_API_KEY: API_KEY,
    REDIS_URL,
    SAHUT_RATE_LIMIT: '1000',
    JOB_BACKOFF_MS: '50',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** Opens a migrated store of the given kind in a private temp file or schema; `dispose` removes it. */
export async function privateStore(
  kind: StoreKind,
): Promise<{ store: Store; env: Record<string, string>; dispose(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-test-'));
    const path = join(dir, 'store.sqlite');
    const store = await openStore({ kind: 'sqlite', path });
    await store.migrate();
    return {
      store,
      env: { SQLITE_PATH: path },
      async dispose() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName('store').replace(/-/g, '_');
  const store = await openStore({ kind: 'postgres', url: PG_URL, schema });
  await store.migrate();
  return {
    store,
    env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema },
    async dispose() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Deletes every key under a test prefix (obliterate leaves limiter and lock keys behind), through
 * `redis` (the local one unless given: a Sentinel group's, say), then disconnects it.
 */
export async function deletePrefix(prefix: string, redis = new Redis(REDIS_URL)) {
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls a condition until it holds or the deadline passes (for state with no event to wait on). */
export async function until(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; !(await condition()); delay = Math.min(delay * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
