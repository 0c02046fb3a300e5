import type pg from 'pg';
import type { ChaosDeployment } from './deployment.ts';
import { pick, type Random } from './schedule.ts';

/**
 * Ends every connection of this test's store (its private schema is in the
 * last query of each): other test files use the same PostgreSQL server, and
 * the CRM's connections are left alone. Returns how many were ended.
 */
export async function terminateStore(d: ChaosDeployment): Promise<number> {
  const { rows } = await d.crm.query(
    `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
     where pid <> pg_backend_pid() and position($1 in query) > 0`,
    [d.storeSchema],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Edits random CRM rows (company, segments, last name) in a transaction that
 * is returned open: `updated_at = now()` is the transaction's start, so rows
 * committed later carry a stamp from before their commit, as a slow CRM
 * transaction's rows do. The caller commits it, now or later.
 */
export async function editCrm(
  d: ChaosDeployment,
  random: Random,
  records: number,
  label: string,
): Promise<{ client: pg.PoolClient; rows: number }> {
  const ids = Array.from({ length: Math.max(3, Math.round(records / 40)) }, () =>
    String(1 + Math.floor(random() * records)),
  );
  const client = await d.crm.connect();
  await client.query('begin');
  await client.query(
    `update ${d.crmTable} set company_name = $2, segments = $3, last_name = $4, updated_at = now()
     where id = any($1::bigint[])`,
    [ids, label, pick(random, ['vip', 'vip;chaos', '', 'reseller;jakarta']), pick(random, ['Baru', 'Chaos'])],
  );
  return { client, rows: new Set(ids).size };
}

export async function commit(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('commit');
  } finally {
    client.release();
  }
}
