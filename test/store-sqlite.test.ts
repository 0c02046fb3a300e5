import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openStore } from '../src/store/index.ts';
import { MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { registerStoreTests } from './store-suite.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sahut-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A nested path, so every test also proves the store creates missing parent directories.
const pathOf = (name: string) => join(dir, 'nested', 'data', `${name}.sqlite`);

function readOnly<T>(name: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(pathOf(name), { readOnly: true, timeout: 5_000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const appliedMigrations = async (name: string) =>
  readOnly(name, (db) =>
    db
      .prepare('select id from migrations order by id')
      .all()
      .map((row) => z.object({ id: z.number() }).parse(row).id),
  );

registerStoreTests('sqlite', {
  open: (name) => openStore({ kind: 'sqlite', path: pathOf(name) }),
  appliedMigrations,
  migrationIds: MIGRATIONS.map((m) => m.id),
  sql: async (name, statement) => {
    const db = new DatabaseSync(pathOf(name), { timeout: 5_000 });
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  },
});

describe('sqlite store file', () => {
  it('puts the file in WAL mode', async () => {
    const store = await openStore({ kind: 'sqlite', path: pathOf('pragmas') });
    try {
      await store.migrate();
      const mode = readOnly('pragmas', (db) => ({ ...db.prepare('PRAGMA journal_mode').get() }));
      expect(mode).toEqual({ journal_mode: 'wal' });
    } finally {
      await store.close();
    }
  });

  it('migrates exactly once when several threads start at the same moment', async () => {
    const path = pathOf('threads');
    const workers = Array.from(
      { length: 4 },
      () => new Worker(new URL('./store-migrate-worker.ts', import.meta.url), { workerData: { path } }),
    );
    try {
      // Every worker has its connection open before any of them migrates.
      await Promise.all(workers.map((worker) => nextMessage(worker)));
      for (const worker of workers) worker.postMessage('migrate');
      const results = await Promise.all(workers.map((worker) => nextMessage(worker)));
      expect(results).toEqual(workers.map(() => 'migrated'));
      expect(await appliedMigrations('threads')).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  });
});

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
