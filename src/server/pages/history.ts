import type { AuditPage, AuditQuery, AuditRow, Link, LinkLookup, Store } from '../../store/index.ts';
import { normalisePhone } from '../../sync/index.ts';

/** Links shown for one search; a phone or email shared by more records than this is not one record. */
export const MAX_LINKS = 20;

export interface RecordHistory {
  links: Link[];
  rows: AuditRow[];
  nextCursor: string | null;
}

/**
 * What an operator may type: a phone (any usual spelling), an email, a CRM id
 * or a Sahut id. Phones are tried in E.164 when they parse, else with only
 * spaces, dashes, dots and brackets removed.
 */
export function lookupFor(q: string, region: string): LinkLookup {
  const stripped = q.replace(/[\s().-]/g, '');
  return { crmId: q, sahutId: q, phone: normalisePhone(q, region) ?? stripped, email: q.toLowerCase() };
}

/**
 * The whole audit history of the record(s) `q` designates: rows of every
 * linked CRM id and Sahut id (scoped to the link's connection), plus rows
 * whose CRM or Sahut id is `q` itself (records that never got linked).
 */
export async function recordHistory(
  store: Store,
  q: string,
  page: { limit: number; cursor: string | undefined; region: string },
): Promise<RecordHistory> {
  const links = await store.findLinks(lookupFor(q, page.region), MAX_LINKS);
  const filters = new Map<string, Omit<AuditQuery, 'limit'>>();
  const add = (f: Omit<AuditQuery, 'limit'>) => filters.set(JSON.stringify(f), f);
  add({ crmId: q });
  add({ sahutId: q });
  for (const link of links) {
    add({ connection: link.connection, crmId: link.crmId });
    add({ connection: link.connection, sahutId: link.sahutId });
  }
  const pages = await Promise.all(
    [...filters.values()].map((f) => store.queryAudit({ ...f, limit: page.limit, cursor: page.cursor })),
  );
  return { links, ...mergePages(pages, page.limit) };
}

/**
 * Merges pages that each hold the newest rows below the same cursor into one
 * page of the union. The union's newest `limit` rows are all among them, and
 * when a source had more, its remaining rows are older than the merged page's
 * last row, so continuing from that row misses nothing and repeats nothing.
 */
export function mergePages(
  pages: readonly AuditPage[],
  limit: number,
): { rows: AuditRow[]; nextCursor: string | null } {
  const byId = new Map<string, AuditRow>();
  for (const p of pages) for (const row of p.rows) byId.set(row.id, row);
  const all = [...byId.values()].sort((a, b) => compareIdsDesc(a.id, b.id));
  const rows = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.nextCursor !== null);
  return { rows, nextCursor: more && rows.length > 0 ? rows[rows.length - 1]!.id : null };
}

/** Ids are decimal bigints without leading zeros: longer is larger, else compare as text. */
function compareIdsDesc(a: string, b: string): number {
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? 1 : a > b ? -1 : 0;
}
