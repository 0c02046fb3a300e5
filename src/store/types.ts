import type { Contact, Direction, FieldDiff } from '../domain/index.ts';
import type {
  AttentionCount,
  AttentionEntry,
  AttentionPage,
  AttentionQuery,
  Decision,
  NewAttention,
} from './attention-types.ts';
import type { NewRemoval, Removal, RemovalDecision, RemovalSide, RemovalState } from './removal-types.ts';
import type { DuplicatePair, IndexedContact, SahutScan } from './sahut-index-types.ts';

export * from './attention-types.ts';
export * from './removal-types.ts';
export * from './sahut-index-types.ts';

export const AUDIT_ACTIONS = [
  'created',
  'updated',
  'unchanged',
  'linked',
  /** Synced, but both sides changed a field (resolved by the owner rules) or a write was held back. */
  'conflict',
  'ambiguous',
  'rejected',
  'failed',
  /** An attempt failed and the record job will try again: not an outcome yet. */
  'retrying',
  /** A Sahut scan found contacts sharing a phone or email: a note on Sahut's data, not a record outcome. */
  'duplicate-suspected',
  /** A person acted on a record of the attention listing (who, what; `detail` per `decidedDetailSchema`). */
  'decided',
  /** The CRM record was deleted: `options.onCrmDelete` was applied to its contact and the link closed. */
  'deleted',
  /** Its contact vanished in Sahut (merged by an agent): linked to the one contact now holding its phone/email. */
  'relinked',
  /** Its contact vanished in Sahut: created again from the CRM record (`options.onSahutDelete: recreate`). */
  'recreated',
  /** Its contact vanished in Sahut (or both sides are gone): the link was closed. */
  'unlinked',
  /** Its contact vanished in Sahut and waits for a person (`options.onSahutDelete: flag`). */
  'gone-in-sahut',
  /** The deletion guard stopped a run: a note for a person to confirm (not a record outcome). */
  'deletion-guard',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Actions that settle a record for its run; `retrying`, notes and decisions do not. */
export const OUTCOME_ACTIONS = AUDIT_ACTIONS.filter(
  (a) => a !== 'retrying' && a !== 'duplicate-suspected' && a !== 'decided' && a !== 'deletion-guard',
) as readonly AuditAction[];
export const NON_OUTCOME_ACTIONS = AUDIT_ACTIONS.filter((a) => !OUTCOME_ACTIONS.includes(a));

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
  /**
   * The run and outcome of the write that saved it: an attempt that finds the record
   * already written by its own run (the attempt before it died before its audit row)
   * reports that outcome, not `unchanged`.
   */
  writtenBy?: { runId: string; action: AuditAction } | null;
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
  /** Structured facts behind the row (conflicts, candidates, …) for the pages and API; JSON. */
  detail?: unknown;
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

/** How many audit rows of one run have one action in one interval (the run page's throughput). */
export interface AuditBucket {
  /** The interval's start: a whole multiple of the interval's length since the Unix epoch. */
  start: Date;
  action: AuditAction;
  rows: number;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';
export interface Run {
  id: string;
  connection: string;
  direction: Direction;
  dryRun: boolean;
  /** The BullMQ job that carries the run, to tell a live run from one whose job is gone. */
  jobId: string | null;
  status: RunStatus;
  /** Why a run failed, or what its books found (records audited failed by the run itself). */
  note: string | null;
  /** How its new records were matched: `search`, `scan` (the scan index), or both over its windows. */
  match: string | null;
  /** Sahut calls the scan index saved (searches not made, less the scan's list calls). */
  callsSaved: number | null;
  startedAt: Date;
  finishedAt: Date | null;
  /** Distinct records read from the source in this run (each has exactly one outcome when it ends). */
  total: number;
  /** Count of audit rows per action for this run (latest attempt per record). */
  counts: Partial<Record<AuditAction, number>>;
}

/** Links matching any of the keys; of one connection when `connection` is given, else of all. */
export interface LinkLookup {
  connection?: string;
  crmId?: string;
  sahutId?: string;
  phone?: string;
  email?: string;
}

/**
 * A partial search on links (what an operator types into the audit search);
 * the conditions are OR-ed. Needles are compared lower-cased.
 */
export interface LinkSearch {
  /** Phones that start with this E.164 prefix, e.g. `+62812` (a range on the phone index). */
  phonePrefix?: string;
  /** Phones holding these digits anywhere (at least 4), e.g. `3456789`. */
  phoneDigits?: string;
  /** Emails holding this text (at least 3 characters), e.g. `budi@` or `example.co`. */
  emailPart?: string;
  /** Names (of the link's base) holding this text (at least 2 characters), in any case. */
  namePart?: string;
}

export interface Store {
  /** Creates or upgrades the schema; safe to call from every process at start-up. */
  migrate(): Promise<void>;
  /**
   * The migrations `migrate` would apply (`"3 attention listing, decisions"`), without applying
   * them; throws SchemaTooNewError when a newer sahut-sync migrated the store.
   */
  pendingMigrations(): Promise<string[]>;
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
  /** Links matching any part of `search`, across connections, in (connection, crm id) order. */
  searchLinks(search: LinkSearch, limit?: number): Promise<Link[]>;
  /** Links of a connection ordered by crmId, for the Sahut→CRM scan. */
  listLinks(connection: string, afterCrmId: string | null, limit: number): Promise<Link[]>;
  upsertLink(link: Link): Promise<void>;
  /**
   * What a record job wrote, in one transaction: its links upserted (the last of a CRM id wins)
   * and the contacts it created put into the scan index (an upsert, no pairs reported).
   */
  saveRecordWrites(writes: RecordWrites): Promise<void>;

  /** Links per connection (the dashboard's health page). */
  countLinks(): Promise<Map<string, number>>;

  // audit (append-only)
  /**
   * Appends the rows and, in the same transaction, keeps the attention listing:
   * returns what these rows put into it (for the alert webhook).
   */
  appendAudit(entries: readonly AuditEntry[]): Promise<NewAttention[]>;
  queryAudit(query: AuditQuery): Promise<AuditPage>;
  /**
   * The run's audit rows counted per action and per interval of `bucketMs`
   * (a whole number of seconds), in time order: only intervals that hold rows.
   */
  auditTimeline(runId: string, bucketMs: number): Promise<AuditBucket[]>;

  // the attention listing (kept by appendAudit) and the decisions people made
  listAttention(query: AttentionQuery): Promise<AttentionPage>;
  getAttention(connection: string, id: string): Promise<AttentionEntry | null>;
  /** What still needs a person (acknowledged entries left out), per connection, direction and kind. */
  countAttention(): Promise<AttentionCount[]>;
  getDecision(connection: string, crmId: string): Promise<Decision | null>;
  getDecisions(connection: string, crmIds: readonly string[]): Promise<Map<string, Decision>>;
  saveDecision(decision: Decision): Promise<void>;

  // runs and cursors
  startRun(
    run: Pick<Run, 'id' | 'connection' | 'direction' | 'dryRun'> & { jobId?: string | null },
  ): Promise<void>;
  /** Adds to the run's total of records read (called once per window). */
  addRunTotal(runId: string, records: number): Promise<void>;
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>, note?: string | null): Promise<void>;
  getRun(runId: string): Promise<Run | null>;
  /** How far a run is, cheaply (progress bars poll it): records read, and outcomes so far. */
  runProgress(runId: string): Promise<RunProgress | null>;
  listRuns(filter: RunFilter): Promise<Run[]>;
  getCursor(connection: string, direction: Direction): Promise<string | null>;
  setCursor(connection: string, direction: Direction, cursor: string): Promise<void>;
  /** When a run last read the whole source (cursor null) to its end; null if never. */
  lastFullRead(connection: string, direction: Direction): Promise<Date | null>;
  markFullRead(connection: string, direction: Direction, at: Date): Promise<void>;

  /** Notes how the run matched its new records and what that saved. */
  setRunMatch(runId: string, match: string, callsSaved: number): Promise<void>;

  // Sahut's contacts kept for matching without searches (the scan index)
  /**
   * Upserts a scan's contacts; returns the pairs sharing a phone or email not reported before
   * for `connection`. (A record job's created contacts go in with `saveRecordWrites`.)
   */
  indexContacts(connection: string, rows: readonly IndexedContact[], seenAt: Date): Promise<DuplicatePair[]>;
  /** The indexed contacts (as listed, JSON) with this normalised phone or email. */
  findIndexed(identity: { phone: string | null; email: string | null }): Promise<unknown[]>;
  /** `findIndexed` for several identities in one query: one list per identity, in their order. */
  findIndexedBatch(
    identities: readonly { phone: string | null; email: string | null }[],
  ): Promise<unknown[][]>;
  startScan(id: string, at: Date): Promise<void>;
  /** Marks the scan complete and drops contacts it did not see (deleted in Sahut). */
  finishScan(id: string, counts: { contacts: number; pages: number }, at: Date): Promise<void>;
  /** The latest complete scan, or null. */
  lastScan(): Promise<SahutScan | null>;

  // removals: linked records gone from one side, until a run acts on them (docs/deletions.md)
  /** Notes them due (a flagged one stays flagged); `runId` is the run that found them. */
  noteRemovals(connection: string, runId: string, removals: readonly NewRemoval[]): Promise<void>;
  /**
   * After a complete Sahut scan by run `runId`: links whose contact it did not list (none of
   * its records in the run's books) count one more miss, due at MISSES_TO_GONE; a listed
   * contact's count starts over. Idempotent per run.
   */
  countScanMisses(connection: string, runId: string): Promise<void>;
  /** After a full read of the CRM by run `runId`: linked records it did not read are noted `absent`. */
  noteAbsentRecords(connection: string, runId: string): Promise<void>;
  /** In crm id order, after `after` (a crm id and side). */
  listRemovals(
    connection: string,
    state: RemovalState,
    after: { crmId: string; side: RemovalSide } | null,
    limit: number,
  ): Promise<Removal[]>;
  countRemovals(connection: string, state: RemovalState): Promise<number>;
  getRemoval(connection: string, crmId: string, side: RemovalSide): Promise<Removal | null>;
  setRemoval(
    connection: string,
    crmId: string,
    side: RemovalSide,
    change: { state: RemovalState; decision?: RemovalDecision | null },
  ): Promise<void>;
  dropRemovals(connection: string, keys: readonly { crmId: string; side: RemovalSide }[]): Promise<void>;
  /**
   * Deletes the link (so its phone and email are free for a new record) and keeps it among the
   * closed links; returns it, or null when there was none.
   */
  closeLink(
    connection: string,
    crmId: string,
    closure: { reason: string; runId: string },
  ): Promise<Link | null>;
  /** Of these contacts, those a closed link of the connection held and no link holds now. */
  closedContacts(connection: string, sahutIds: readonly string[]): Promise<Set<string>>;

  // claims on identities while a contact is created for them (what survives the loss of Redis)
  /**
   * Claims every key, or none when one is held by a live claim, and returns the links that
   * already hold the identity or the CRM record (read under the claim).
   */
  claimIdentities(claim: Claim): Promise<ClaimResult>;
  /**
   * The claims of several records in one transaction, each as `claimIdentities` takes it (all
   * its keys or none, the links holding its identity or record read under it), all under one
   * token; released and renewed together. Their keys must not overlap (throws StoreArgumentError).
   */
  claimIdentitiesBatch(batch: ClaimBatch): Promise<ClaimResult[]>;
  renewIdentities(claim: Pick<Claim, 'connection' | 'keys' | 'token' | 'ttlMs'>): Promise<void>;
  releaseIdentities(claim: Pick<Claim, 'connection' | 'keys' | 'token'>): Promise<void>;

  // the books of a run
  /**
   * Notes that the run reads these records in `window` (with their content hashes, when
   * known), adding the new ones to its total. Returns the ones to hand out: new to the run,
   * read again in the same window (a retried run job), or read in another window but changed
   * since (edited during the run; they move to this window). A record read twice unchanged is
   * handled, and counted, once.
   */
  addRunRecords(
    runId: string,
    window: number,
    crmIds: readonly string[],
    hashes?: readonly (string | null)[],
  ): Promise<RunRecordsAdded>;
  /** Records the run read (in `window`, or in any) whose latest audit row in the run is not an outcome. */
  unaccounted(runId: string, window?: number): Promise<string[]>;
  /**
   * After a window settled: its records that ended `failed` are kept for the next
   * runs to read again (up to `maxCarries` runs); the others leave that list.
   */
  settleRunRecords(runId: string, window: number, carry: Carry): Promise<void>;
  /** The run's book-keeping rows are dropped once the run ended and its counts are final. */
  dropRunRecords(runId: string): Promise<void>;
  /** Puts records on that list, so the next run reads them again (a person asked for it); no-op if listed. */
  addCarried(
    connection: string,
    direction: Direction,
    crmIds: readonly string[],
    runId: string,
  ): Promise<void>;
  /** Failed records that the next run of this connection and direction reads again, by crm id. */
  listCarried(
    connection: string,
    direction: Direction,
    afterCrmId: string | null,
    limit: number,
  ): Promise<Carried[]>;
}

export interface RunRecordsAdded {
  /** The ids to hand out: new to the run, read again in the same window, or changed since read. */
  fresh: string[];
  /** How many were new to the run (what its total grows by). */
  added: number;
}

export interface Claim {
  connection: string;
  /** Opaque keys of the identity (hashed phone and email). */
  keys: readonly string[];
  token: string;
  ttlMs: number;
  /** What the links are looked up by, under the claim. */
  crmId: string;
  phone: string | null;
  email: string | null;
}

export interface ClaimBatch {
  connection: string;
  token: string;
  ttlMs: number;
  claims: readonly Pick<Claim, 'keys' | 'crmId' | 'phone' | 'email'>[];
}

export interface RecordWrites {
  links: readonly Link[];
  indexed: readonly IndexedContact[];
  seenAt: Date;
}

export interface ClaimResult {
  claimed: boolean;
  /** A key was taken over from a claim whose holder died: it may have created the contact. */
  stale: boolean;
  /** Links holding the claimed identity or the CRM record when the claim was taken. */
  links: Link[];
}

export interface RunProgress {
  total: number;
  /** Outcome rows so far (a record read twice in one run may count twice until it ends). */
  settled: number;
}

export interface RunFilter {
  connection?: string;
  direction?: Direction;
  status?: RunStatus;
  limit: number;
}

export interface Carry {
  connection: string;
  direction: Direction;
  maxCarries: number;
}

export interface Carried {
  crmId: string;
  /** Runs in a row in which the record ended failed; past `maxCarries` it is no longer carried. */
  failures: number;
  /** The run it last failed in. */
  runId: string;
}
