import { linkCountRowSchema } from '../attention-rows.ts';
import { LINK_COLUMNS, LINK_UPSERT } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, LinkLookup } from '../types.ts';
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

export async function countLinks(ctx: PgContext): Promise<Map<string, number>> {
  const { rows } = await query(
    ctx,
    `select connection, count(*) as links from ${ctx.schema}.links group by connection order by connection`,
  );
  return new Map(rows.map((row) => linkCountRowSchema.parse(row)).map((r) => [r.connection, r.links]));
}
