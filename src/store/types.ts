import type { Contact, Direction, FieldDiff } from '../domain/index.ts';

export const AUDIT_ACTIONS = [
  'created',
  'updated',
  'unchanged',
  'linked',
  'ambiguous',
  'rejected',
  'failed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** CRM record ↔ Sahut contact, with the base both sides last agreed on. */
export interface Link {
  connection: string;
  crmId: string;
  sahutId: string;
  /** Normalised identity keys, for lookups by phone or email. */
  phone: string | null;
  email: string | null;
  /** Last synced value of every mapped field (the base of the three-way merge). */
  base: Contact;
  /** Hash of the mapped CRM record at last sync: equal hash → nothing to do. */
  crmHash: string;
  /** Hash of the Sahut contact's mapped fields at last sync (echo suppression). */
  sahutHash: string;
  syncedAt: Date;
}

export interface AuditEntry {
  runId: string;
  jobId: string | null;
  connection: string;
  direction: Direction;
  crmId: string | null;
  sahutId: string | null;
  action: AuditAction;
  diff: FieldDiff | null;
  /** Human-readable reason or error; never holds secrets. */
  error: string | null;
  attempt: number;
}
export interface AuditRow extends AuditEntry {
  /** Monotonic id (bigint as string); also the pagination cursor. */
  id: string;
  at: Date;
}

export interface AuditQuery {
  connection?: string;
  crmId?: string;
  sahutId?: string;
  runId?: string;
  action?: AuditAction;
  since?: Date;
  until?: Date;
  /** Page size, 1..1000. */
  limit: number;
  /** `nextCursor` of the previous page; rows come newest first. */
  cursor?: string;
}
export interface AuditPage {
  rows: AuditRow[];
  nextCursor: string | null;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';
export interface Run {
  id: string;
  connection: string;
  direction: Direction;
  dryRun: boolean;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  /** Records read from the source in this run. */
  total: number;
  /** Count of audit rows per action for this run (latest attempt per record). */
  counts: Partial<Record<AuditAction, number>>;
}

export interface LinkLookup {
  crmId?: string;
  sahutId?: string;
  phone?: string;
  email?: string;
}

export interface Store {
  /** Creates or upgrades the schema; safe to call from every process at start-up. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  // links
  getLinks(connection: string, crmIds: readonly string[]): Promise<Map<string, Link>>;
  /**
   * Links to any of these Sahut contacts, in one query. Several CRM records of
   * one connection may share a Sahut contact (two CRM rows for one person are
   * linked to the one contact rather than duplicated in Sahut).
   */
  getLinksBySahutIds(connection: string, sahutIds: readonly string[]): Promise<Link[]>;
  findLinks(lookup: LinkLookup, limit?: number): Promise<Link[]>;
  /** Links of a connection ordered by crmId, for the Sahut→CRM scan. */
  listLinks(connection: string, afterCrmId: string | null, limit: number): Promise<Link[]>;
  upsertLink(link: Link): Promise<void>;

  // audit (append-only)
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditPage>;

  // runs and cursors
  startRun(run: Pick<Run, 'id' | 'connection' | 'direction' | 'dryRun'>): Promise<void>;
  /** Adds to the run's total of records read (called once per window). */
  addRunTotal(runId: string, records: number): Promise<void>;
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>): Promise<void>;
  getRun(runId: string): Promise<Run | null>;
  listRuns(filter: { connection?: string; limit: number }): Promise<Run[]>;
  getCursor(connection: string, direction: Direction): Promise<string | null>;
  setCursor(connection: string, direction: Direction, cursor: string): Promise<void>;
}
