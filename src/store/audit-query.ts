import { StoreArgumentError } from './errors.ts';
import { checkLimit, MAX_PAGE } from './limits.ts';
import type { AuditPage, AuditQuery, AuditRow } from './types.ts';

const SECOND = 1000;
const MAX_BUCKET_MS = 7 * 24 * 3600 * SECOND;

/**
 * One AND-ed condition of an audit query. Columns and operators come from this
 * fixed list only; values are always bound as parameters.
 */
export interface AuditCondition {
  column: 'connection' | 'crm_id' | 'sahut_id' | 'run_id' | 'action' | 'at' | 'id';
  operator: '=' | '>=' | '<';
  value: string | Date;
}

/**
 * The conditions of `query`, shared by both backends so they filter alike.
 * `since` is inclusive and `until` exclusive, so consecutive windows never
 * overlap; `cursor` keeps rows older (smaller id) than the previous page's last.
 */
export function auditConditions(query: AuditQuery): AuditCondition[] {
  const conditions: AuditCondition[] = [];
  const equal = (column: AuditCondition['column'], value: string | undefined) => {
    if (value !== undefined) conditions.push({ column, operator: '=', value });
  };
  equal('connection', query.connection);
  equal('crm_id', query.crmId);
  equal('sahut_id', query.sahutId);
  equal('run_id', query.runId);
  equal('action', query.action);
  if (query.since) conditions.push({ column: 'at', operator: '>=', value: query.since });
  if (query.until) conditions.push({ column: 'at', operator: '<', value: query.until });
  if (query.cursor !== undefined) {
    if (!/^[1-9]\d{0,17}$/.test(query.cursor)) throw new StoreArgumentError('Invalid audit cursor');
    conditions.push({ column: 'id', operator: '<', value: query.cursor });
  }
  return conditions;
}

/** The page size plus one: the extra row only tells whether another page exists. */
export function auditFetchSize(query: AuditQuery): number {
  return checkLimit('Audit page size', query.limit, MAX_PAGE) + 1;
}

/** Cuts the fetched rows (newest first) to the page and derives the next cursor. */
export function toAuditPage(rows: AuditRow[], limit: number): AuditPage {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: page[page.length - 1]!.id };
}

/** A timeline interval is a whole number of seconds, up to a week. */
export function checkBucket(bucketMs: number): number {
  if (
    !Number.isInteger(bucketMs) ||
    bucketMs < SECOND ||
    bucketMs > MAX_BUCKET_MS ||
    bucketMs % SECOND !== 0
  ) {
    throw new StoreArgumentError(
      `Timeline interval must be a whole number of seconds from 1 to ${MAX_BUCKET_MS / SECOND}`,
    );
  }
  return bucketMs;
}
