import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PG_URL } from '../env.ts';
import { type OpenCrmEdit, retryFull } from './crm.ts';
import type { ChaosDeployment } from './deployment.ts';
import { pick, type Random } from './schedule.ts';

/** How long another writer holds the SQLite store's write lock (its busy timeout is 10 s). */
const SQLITE_HOLD_MS = 2500;

/**
 * Cuts the store from under the processes. PostgreSQL: ends every connection of
 * this test's store (its private schema is in the last query of each: other
 * test files use the same server, and a PostgreSQL CRM's connections are left
 * alone). SQLite: another process on the host (a backup, a curious person)
 * holds the file's write lock for a while, so every writer waits on it.
 * Says what it did.
 */
export async function cutStore(d: ChaosDeployment): Promise<string> {
  if (d.params.store === 'sqlite') {
    const db = new DatabaseSync(d.storeName, { timeout: 10_000 });
    try {
      db.exec('BEGIN IMMEDIATE');
      await sleep(SQLITE_HOLD_MS);
      db.exec('COMMIT');
    } finally {
      db.close();
    }
    return `held the SQLite store's write lock for ${SQLITE_HOLD_MS} ms`;
  }
  const admin = await retryFull(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    return client;
  });
  try {
    const { rows } = await admin.query(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
       where pid <> pg_backend_pid() and position($1 in query) > 0`,
      [d.storeName],
    );
    return `terminated ${Number(rows[0]?.n ?? 0)} store connections`;
  } finally {
    await admin.end();
  }
}

/**
 * Edits random CRM rows (company, segments, last name) in a transaction that
 * is returned open: rows committed later carry a stamp from before their
 * commit, as a slow CRM transaction's rows do. The caller commits it, now or
 * later. Returns the ids edited, for the verdict.
 */
export async function editCrm(
  d: ChaosDeployment,
  random: Random,
  label: string,
  late = false,
): Promise<{ edit: OpenCrmEdit; ids: string[] }> {
  const records = d.params.records;
  const ids = [
    ...new Set(
      Array.from({ length: Math.max(3, Math.round(records / 40)) }, () =>
        String(1 + Math.floor(random() * records)),
      ),
    ),
  ];
  const edit = await d.crm.edit(
    ids,
    {
      company_name: label,
      segments: pick(random, ['vip', 'vip;chaos', '', 'reseller;jakarta']),
      last_name: pick(random, ['Baru', 'Chaos']),
    },
    late,
  );
  return { edit, ids };
}
