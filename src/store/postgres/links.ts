import { linkCountRowSchema } from '../attention-rows.ts';
import { lastWrites } from '../claim-batch.ts';
import { LINK_COLUMNS, LINK_UPSERT } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, LinkLookup, RecordWrites } from '../types.ts';
import { type PgContext, query } from './context.ts';

const parseLink = (row: unknown): Link => linkRowSchema.parse(row);

/** One query for the whole batch. */
export async function getLinks(
  ctx: PgContext,
  connection: string,
  crmIds: readonly string[],
): Promise<Map<string, Link>> {
  if (crmIds.length === 0) return new Map();
  const { rows } = await query(
    ctx,
    `select ${LINK_COLUMNS} from ${ctx.schema}.links
     where connection = $1 and crm_id = any($2::text[])`,
    [connection, crmIds],
  );
  return new Map(rows.map(parseLink).map((link) => [link.crmId, link]));
}

/** One query for the whole batch; several CRM records may share a Sahut contact. */
export async function getLinksBySahutIds(
  ctx: PgContext,
  connection: string,
  sahutIds: readonly string[],
): Promise<Link[]> {
  if (sahutIds.length === 0) return [];
  const { rows } = await query(
    ctx,
    `select ${LINK_COLUMNS} from ${ctx.schema}.links
     where connection = $1 and sahut_id = any($2::text[])
     order by sahut_id, crm_id`,
    [connection, sahutIds],
  );
  return rows.map(parseLink);
}

/** Links matching any of the given keys, across connections. */
export async function findLinks(ctx: PgContext, lookup: LinkLookup, limit: number): Promise<Link[]> {
  const keys = [lookup.crmId ?? null, lookup.sahutId ?? null, lookup.phone ?? null, lookup.email ?? null];
  if (keys.every((key) => key === null)) return [];
  const { rows } = await query(
    ctx,
    `select ${LINK_COLUMNS} from ${ctx.schema}.links
     where (crm_id = $1 or sahut_id = $2 or phone = $3 or email = $4)
       and ($6::text is null or connection = $6)
     order by connection, crm_id
     limit $5`,
    [...keys, limit, lookup.connection ?? null],
  );
  return rows.map(parseLink);
}

/** Keyset page: links of `connection` with crm_id after `afterCrmId`, in crm_id order. */
export async function listLinks(
  ctx: PgContext,
  connection: string,
  afterCrmId: string | null,
  limit: number,
): Promise<Link[]> {
  const { rows } = await query(
    ctx,
    `select ${LINK_COLUMNS} from ${ctx.schema}.links
     where connection = $1 and ($2::text is null or crm_id > $2)
     order by crm_id
     limit $3`,
    [connection, afterCrmId, limit],
  );
  return rows.map(parseLink);
}

export async function upsertLink(ctx: PgContext, link: Link): Promise<void> {
  await query(
    ctx,
    `insert into ${ctx.schema}.links (${LINK_COLUMNS})
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)
     ${LINK_UPSERT}`,
    [
      link.connection,
      link.crmId,
      link.sahutId,
      link.phone,
      link.email,
      JSON.stringify(link.base),
      link.crmHash,
      link.sahutHash,
      link.syncedAt,
      link.writtenBy?.runId ?? null,
      link.writtenBy?.action ?? null,
    ],
  );
}

/**
 * A record job's links and created contacts in one statement (two inserts as data-modifying
 * CTEs): atomic, one round trip.
 */
export async function saveRecordWrites(ctx: PgContext, writes: RecordWrites): Promise<void> {
  const { links, indexed } = lastWrites(writes);
  if (links.length === 0 && indexed.length === 0) return;
  const s = ctx.schema;
  await query(
    ctx,
    `with saved as (
       insert into ${s}.links (${LINK_COLUMNS})
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                            $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::text[])
       ${LINK_UPSERT}
       returning 1
     )
     insert into ${s}.sahut_index (sahut_id, phone, email, contact, seen_at)
     select r.*, $16::timestamptz from unnest($12::text[], $13::text[], $14::text[], $15::jsonb[])
       as r(sahut_id, phone, email, contact)
     on conflict (sahut_id) do update set
       phone = excluded.phone, email = excluded.email, contact = excluded.contact, seen_at = excluded.seen_at`,
    [
      links.map((l) => l.connection),
      links.map((l) => l.crmId),
      links.map((l) => l.sahutId),
      links.map((l) => l.phone),
      links.map((l) => l.email),
      links.map((l) => JSON.stringify(l.base)),
      links.map((l) => l.crmHash),
      links.map((l) => l.sahutHash),
      links.map((l) => l.syncedAt),
      links.map((l) => l.writtenBy?.runId ?? null),
      links.map((l) => l.writtenBy?.action ?? null),
      indexed.map((c) => c.sahutId),
      indexed.map((c) => c.phone),
      indexed.map((c) => c.email),
      indexed.map((c) => JSON.stringify(c.contact)),
      writes.seenAt,
    ],
  );
}

export async function countLinks(ctx: PgContext): Promise<Map<string, number>> {
  const { rows } = await query(
    ctx,
    `select connection, count(*) as links from ${ctx.schema}.links group by connection order by connection`,
  );
  return new Map(rows.map((row) => linkCountRowSchema.parse(row)).map((r) => [r.connection, r.links]));
}
