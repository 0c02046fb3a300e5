import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/index.ts';
import { createMetrics } from '../src/metrics/index.ts';
import type { HttpServer, ServerDeps } from '../src/server/index.ts';
import { startHttp } from '../src/server/index.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { deletePrefix, REDIS_URL } from './helpers/env.ts';
import { capturingLogger } from './helpers/log-capture.ts';

export const PASSWORD = 'board-pass-Zq81x';
export const TOKEN = 'board-token-0123456789abcdef';

export interface Harness {
  prefix: string;
  deps: ServerDeps;
  store: Store;
  /** Every log line the server wrote, for checks that no secret leaks. */
  logs: string[];
  /** Starts the server on 127.0.0.1, port 0; closed by `close()`. */
  start(overrides?: Partial<ServerDeps>): Promise<HttpServer>;
  close(): Promise<void>;
}

/**
 * Real dependencies for one test: a unique Redis prefix, a SQLite store in a
 * temp dir, a fresh metrics registry. `close()` releases everything and
 * deletes the prefix's keys.
 */
export async function createHarness(env: Record<string, string> = {}, dashboard = true): Promise<Harness> {
  const prefix = `test-server-${randomUUID().slice(0, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), 'sahut-server-'));
  const config = loadConfig({
    QUEUE_PREFIX: prefix,
    REDIS_URL,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    DASHBOARD_PASSWORD: PASSWORD,
    DASHBOARD_TOKEN: TOKEN,
    SQLITE_PATH: join(dir, 'store.sqlite'),
    ...env,
  });
  const { log, lines: logs } = capturingLogger('debug');
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'store.sqlite') });
  await store.migrate();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const deps: ServerDeps = { config, log, store, metrics: createMetrics(), redis, dashboard };
  const servers: HttpServer[] = [];
  return {
    prefix,
    deps,
    store,
    logs,
    start: async (overrides = {}) => {
      const server = await startHttp({ ...deps, ...overrides, port: 0, host: '127.0.0.1' });
      servers.push(server);
      return server;
    },
    close: async () => {
      for (const server of servers.splice(0)) await server.close();
      await deletePrefix(prefix);
      await redis.quit();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A store that was opened and closed: every call fails, as with a lost database. */
export async function closedStore(): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sahut-server-closed-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'closed.sqlite') });
  await store.close();
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const basic = (user = 'admin', password = PASSWORD) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
