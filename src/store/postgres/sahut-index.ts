import { duplicatePairRowSchema, indexedContactRowSchema, sahutScanRowSchema } from '../rows.ts';
import type { DuplicatePair, IndexedContact, SahutScan } from '../sahut-index-types.ts';
import { inTransaction, type PgContext, query } from './context.ts';

/**
 * Upserts one page of scanned contacts and returns the pairs
 * sharing a phone or email that involve them and were not reported yet for
 * `connection`: each pair is reported once.
 */
export async function indexContacts(
  ctx: PgContext,
  connection: string,
  rows: readonly IndexedContact[],
  seenAt: Date,
): Promise<DuplicatePair[]> {
  if (rows.length === 0) return [];
  const s = ctx.schema;
  await query(
    ctx,
    `insert into ${s}.sahut_index (sahut_id, phone, email, contact, seen_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) as r(sahut_id, phone, email, contact),
         lateral (select $5::timestamptz as seen_at) as t
       on conflict (sahut_id) do update set
         phone = excluded.phone, email = excluded.email, contact = excluded.contact, seen_at = excluded.seen_at`,
    [
      rows.map((r) => r.sahutId),
      rows.map((r) => r.phone),
      rows.map((r) => r.email),
      rows.map((r) => JSON.stringify(r.contact)),
      seenAt,
    ],
  );
  // From this page's contacts out, by the phone and email indexes: never a scan of the whole index.
  const { rows: pairs } = await query(
    ctx,
    `insert into ${s}.duplicate_pairs (connection, a, b, by)
       select distinct on (a, b) $1, a, b, by from (
         select least(p.sahut_id, o.sahut_id) as a, greatest(p.sahut_id, o.sahut_id) as b, 'phone' as by
         from ${s}.sahut_index p join ${s}.sahut_index o on o.phone = p.phone and o.sahut_id <> p.sahut_id
         where p.sahut_id = any($2::text[]) and p.phone is not null
         union all
         select least(p.sahut_id, o.sahut_id), greatest(p.sahut_id, o.sahut_id), 'email'
         from ${s}.sahut_index p join ${s}.sahut_index o on o.email = p.email and o.sahut_id <> p.sahut_id
         where p.sahut_id = any($2::text[]) and p.email is not null
       ) as shared
       order by a, b, by desc
       on conflict do nothing
       returning a, b, by`,
    [connection, rows.map((r) => r.sahutId)],
  );
  return pairs.map((row) => duplicatePairRowSchema.parse(row));
}

/** The indexed contacts with this phone or email. */
export async function findIndexed(
  ctx: PgContext,
  identity: { phone: string | null; email: string | null },
): Promise<unknown[]> {
  if (!identity.phone && !identity.email) return [];
  const { rows } = await query(
    ctx,
    `select contact from ${ctx.schema}.sahut_index where phone = $1 or email = $2 order by sahut_id`,
    [identity.phone, identity.email],
  );
  return rows.map((row) => indexedContactRowSchema.parse(row).contact);
}

/** `findIndexed` for several identities, in one query; one list per identity, in their order. */
export async function findIndexedBatch(
  ctx: PgContext,
  identities: readonly { phone: string | null; email: string | null }[],
): Promise<unknown[][]> {
  const found: unknown[][] = identities.map(() => []);
  const asked = identities.flatMap((id, i) => (id.phone || id.email ? [i] : []));
  if (asked.length === 0) return found;
  const { rows } = await query(
    ctx,
    `select q.i, x.contact from unnest($1::int[], $2::text[], $3::text[]) as q(i, phone, email)
     cross join lateral (
       select sahut_id, contact from ${ctx.schema}.sahut_index where phone = q.phone or email = q.email
     ) as x
     order by q.i, x.sahut_id`,
    [asked, asked.map((i) => identities[i]?.phone ?? null), asked.map((i) => identities[i]?.email ?? null)],
  );
  for (const row of rows as { i: number }[]) found[row.i]?.push(indexedContactRowSchema.parse(row).contact);
  return found;
}

export async function startScan(ctx: PgContext, id: string, at: Date): Promise<void> {
  await query(ctx, `insert into ${ctx.schema}.sahut_scans (id, started_at) values ($1, $2)`, [id, at]);
}

/** A complete scan: whatever it did not see (and nobody indexed since it began) is gone from Sahut. */
export async function finishScan(
  ctx: PgContext,
  id: string,
  counts: { contacts: number; pages: number },
  at: Date,
): Promise<void> {
  await inTransaction(ctx.pool, async (client) => {
    await client.query(
      `update ${ctx.schema}.sahut_scans set finished_at = $2, contacts = $3, pages = $4 where id = $1`,
      [id, at, counts.contacts, counts.pages],
    );
    await client.query(
      `delete from ${ctx.schema}.sahut_index
       where seen_at < (select started_at from ${ctx.schema}.sahut_scans where id = $1)`,
      [id],
    );
  });
}

export async function lastScan(ctx: PgContext): Promise<SahutScan | null> {
  const { rows } = await query(
    ctx,
    `select id, started_at, finished_at, contacts, pages from ${ctx.schema}.sahut_scans
     where finished_at is not null order by finished_at desc limit 1`,
  );
  return rows[0] ? sahutScanRowSchema.parse(rows[0]) : null;
}
