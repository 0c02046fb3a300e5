import type { CrmRecord } from './types.ts';

export const CRM_ERROR_CODES = [
  /** A cursor that this connector did not produce, or that is corrupt. */
  'CURSOR_INVALID',
  /** Write-back named a column outside the mapping (or the id / cursor column). */
  'COLUMN_NOT_WRITABLE',
  /** Write-back targeted an id that does not exist (or is not unique). */
  'RECORD_NOT_FOUND',
  /** The source itself is unusable: missing file, bad CSV header, bad options. */
  'SOURCE_INVALID',
  /** The database refused a write for good (a constraint, a required column without a value, a bad value). */
  'WRITE_REFUSED',
  /** A compare-and-set write-back found the record changed since it was read: nothing was written. */
  'STALE',
  /** The CRM's API budget (a daily limit) is spent or down to its reserve: stop, resume after its reset. */
  'LIMIT_EXHAUSTED',
] as const;
export type CrmErrorCode = (typeof CRM_ERROR_CODES)[number];

/**
 * A connector failure the caller can act on by `code`. Messages name columns,
 * tables, files and line numbers, never field values (they may be personal data)
 * nor connection strings.
 */
export class CrmError extends Error {
  readonly code: CrmErrorCode;
  constructor(code: CrmErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CrmError';
    this.code = code;
  }
}

export const isCrmError = (err: unknown, code?: CrmErrorCode): err is CrmError =>
  err instanceof CrmError && (code === undefined || err.code === code);

/**
 * A write-back that found the record no longer holding what the merge read (someone edited it
 * in between): nothing was written. `current` is the record now, to merge again from.
 */
export class StaleRecordError extends CrmError {
  readonly current: CrmRecord;
  constructor(label: string, current: CrmRecord) {
    super('STALE', `Update of ${label}: record ${current.id} changed since it was read; nothing written`);
    this.name = 'StaleRecordError';
    this.current = current;
  }
}
