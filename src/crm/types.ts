/** A CRM record as the connector read it: an id and raw, unmapped fields. */
export interface CrmRecord {
  id: string;
  data: Record<string, unknown>;
  /** Set when the row is soft-deleted (its `source.deletedColumn` holds a time or true). */
  deleted?: true;
}

/** A source row that could not even be read as a record (bad CSV line, bad JSON …). */
export interface CrmRejectedRow {
  /** Where it was, e.g. `line 17`, so an operator can find it. */
  ref: string;
  reason: string;
}

export type CrmItem = { ok: true; record: CrmRecord } | { ok: false; rejected: CrmRejectedRow };

/** A page of changes; `cursor` resumes just after the page's last item. */
export interface CrmPage {
  items: CrmItem[];
  cursor: string;
}

export interface CrmCapabilities {
  /** `read(cursor)` returns only what changed since the cursor. */
  incremental: boolean;
  /** `update()` writes fields back (Sahut→CRM direction). */
  update: boolean;
  /** `create()` makes new CRM records. */
  create: boolean;
}

export interface ReadOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /**
   * Re-read rows whose cursor column lies up to this many milliseconds before
   * the cursor's position, so a row stamped before the cursor but committed
   * after it was read (a concurrent transaction) is still seen. Connectors
   * whose cursor is not a timestamp ignore it.
   */
  overlapMs?: number;
}

/**
 * What `findByIdentity` looks for: rows whose phone columns (digits only,
 * concatenated) contain `phone.digits`, or whose email column (lower-cased)
 * contains `email.address`. A cheap superset: the caller compares the
 * normalised values exactly.
 */
export interface IdentityProbe {
  /** Digits of the national number, e.g. `8123456789` for +62 812-3456-789, however the row writes it. */
  phone?: { columns: readonly string[]; digits: string };
  /** The lower-cased address. */
  email?: { column: string; address: string };
  /** At most this many rows. */
  limit: number;
}

/**
 * What every CRM connector implements. Reading is an async iterator of pages
 * in a stable order, so memory stays bounded and a crash resumes from the
 * last settled cursor.
 */
export interface CrmConnector {
  readonly capabilities: CrmCapabilities;
  read(cursor: string | null, opts?: ReadOptions): AsyncIterable<CrmPage>;
  get(id: string): Promise<CrmRecord | null>;
  /**
   * Compare-and-set write-back; required when `capabilities.update`. Writes only the given raw
   * fields, and only while the record still holds `expected.data` (the record the caller merged
   * from, as `read` or `get` returned it), checked atomically with the write: otherwise nothing is
   * written and a `StaleRecordError` carries the record as it is now, to merge again. Returns the
   * record as it stands right after the write, read with it (so a later edit by someone else is
   * never taken for ours). Throws `CrmError` `RECORD_NOT_FOUND` when the id names no record.
   */
  update?(id: string, fields: Record<string, unknown>, expected: CrmRecord): Promise<CrmRecord>;
  /** Creates a record and returns its id; required when `capabilities.create`. */
  create?(fields: Record<string, unknown>): Promise<string>;
  /**
   * Records that may hold this phone or email (see `IdentityProbe`), linked or
   * not, so a record created elsewhere is found before another one is created.
   */
  findByIdentity?(probe: IdentityProbe): Promise<CrmRecord[]>;
  /**
   * The ids of rows hard-deleted since they were last forgotten, as the trigger of
   * `crm install-trigger` recorded them (a tombstone table beside the CRM table); an empty
   * list when the trigger was never installed.
   */
  /**
   * Marks the row deleted in its soft-delete column (now, or true for a boolean column) and
   * stamps its cursor column; only with `source.deletedColumn`. False when no row has the id.
   */
  softDelete?(id: string): Promise<boolean>;
  /**
   * Records the CRM itself reports gone since a time (HubSpot: archived contacts, and those
   * merged into another), a page at a time; for CRMs that keep no table a trigger could watch.
   */
  removals?(sinceMs: number, signal?: AbortSignal): AsyncIterable<readonly { crmId: string }[]>;
  tombstones?: {
    read(connection: string, limit: number): Promise<string[]>;
    forget(connection: string, ids: readonly string[]): Promise<void>;
  };
  close(): Promise<void>;
}
