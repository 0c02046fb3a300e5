import type { AuditPage, AuditQuery, AuditRow, Link, Store } from '../store/index.ts';
import { searchTerms } from './terms.ts';

/** Links shown for one search; a search matching more records than this asks to be narrowed. */
export const MAX_LINKS = 20;

export interface RecordHistory {
  links: Link[];
  /** More records matched than MAX_LINKS: only the first are shown. */
  moreLinks: boolean;
  rows: AuditRow[];
  nextCursor: string | null;
}

export interface HistoryOptions {
  limit: number;
  cursor: string | undefined;
  /** DEFAULT_PHONE_REGION, to read a national phone number. */
  region: string;
  /** Also find records by part of their phone, email or name (false: exact identities only). */
  partial?: boolean;
  /** Further conditions every row meets (the CLI's --run, --action, --since …); `connection` also limits the links. */
  within?: Omit<AuditQuery, 'limit' | 'cursor' | 'crmId' | 'sahutId'>;
}

/**
 * The whole audit history of the record(s) `q` designates: rows of every
 * linked CRM id and Sahut id (scoped to the link's connection), plus rows
 * whose CRM or Sahut id is `q` itself (records that never got linked).
 * Links are found by exact identity and, with `partial`, by part of a phone,
 * email or name (see `searchTerms`).
 */
export async function recordHistory(store: Store, q: string, opts: HistoryOptions): Promise<RecordHistory> {
  const terms = searchTerms(q, opts.region);
  const found = await Promise.all([
    store.findLinks(terms.exact, MAX_LINKS + 1),
    opts.partial === false ? [] : store.searchLinks(terms.partial, MAX_LINKS + 1),
  ]);
  const within = opts.within ?? {};
  const matched = uniqueLinks(found.flat()).filter(
    (l) => within.connection === undefined || l.connection === within.connection,
  );
  const links = matched.slice(0, MAX_LINKS);
  const filters = new Map<string, Omit<AuditQuery, 'limit'>>();
  const add = (f: Omit<AuditQuery, 'limit'>) => filters.set(JSON.stringify(f), { ...within, ...f });
  add({ crmId: q.trim() });
  add({ sahutId: q.trim() });
  for (const link of links) {
    add({ connection: link.connection, crmId: link.crmId });
    add({ connection: link.connection, sahutId: link.sahutId });
  }
  const pages = await Promise.all(
    [...filters.values()].map((f) => store.queryAudit({ ...f, limit: opts.limit, cursor: opts.cursor })),
  );
  return { links, moreLinks: matched.length > MAX_LINKS, ...mergePages(pages, opts.limit) };
}

/** Each link once (by connection and CRM id), in (connection, CRM id) order. */
function uniqueLinks(links: readonly Link[]): Link[] {
  const byKey = new Map(links.map((l) => [`${l.connection}\u0000${l.crmId}`, l]));
  return [...byKey.values()].sort((a, b) =>
    a.connection === b.connection ? (a.crmId < b.crmId ? -1 : 1) : a.connection < b.connection ? -1 : 1,
  );
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
