import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { guardPool, inTransaction } from '../src/pg/index.ts';
import { PG_URL } from './helpers/env.ts';

describe('a guarded pool whose connections the server keeps ending (real PostgreSQL)', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  afterAll(() => admin.end());

  // Unguarded, the first round already crashes the process: a fresh connection ended as it is
  // handed out emits `error` before `inTransaction` could listen for it.
  it('never crashes the process, and transactions go on once the terminations stop', async () => {
    const application = `sahut-guard-${randomUUID().slice(0, 8)}`;
    const pool = guardPool(new pg.Pool({ connectionString: PG_URL, max: 4, application_name: application }));
    let stop = false;
    let quiet = false;
    let failed = 0;
    const transactions = async () => {
      let committed = 0;
      while (!stop) {
        try {
          await inTransaction(pool, async (client) => {
            await client.query('select 1');
            // Between statements, where an ended connection has no query to fail.
            await delay(Math.random() * 3);
            await client.query('select 2');
          });
          if (quiet) committed += 1;
        } catch {
          failed += 1;
        }
      }
      return committed;
    };
    const loops = Array.from({ length: 8 }, transactions);
    let ended = 0;
    for (let round = 0; round < 100; round++) {
      const { rows } = await admin.query(
        'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1',
        [application],
      );
      ended += rows[0].n;
      await delay(Math.random() * 20);
    }
    // With the server quiet again, every loop commits: the pool replaced what was ended.
    quiet = true;
    await delay(200);
    stop = true;
    const committed = await Promise.all(loops);
    await pool.end();
    expect(ended).toBeGreaterThan(50);
    expect(failed).toBeGreaterThan(0);
    expect(committed.every((n) => n > 0)).toBe(true);
  });
});
