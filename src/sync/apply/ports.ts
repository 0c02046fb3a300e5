import type { FieldDiff } from '../../domain/index.ts';
import type { SahutApi } from '../../sahut/types.ts';
import type { AuditAction, Link, Store } from '../../store/types.ts';

/** The narrow slices of I/O the apply step needs; tests can hand in small fakes or the real thing. */
export interface ApplyPorts {
  sahut: Pick<SahutApi, 'iterate' | 'create' | 'update'>;
  store: Pick<Store, 'getLinks' | 'upsertLink'>;
  locks: IdentityLocks;
}

/** Mutual exclusion per identity (normalised phone/email) across every worker process. */
export interface IdentityLocks {
  withLocks<T>(keys: readonly string[], fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** What happened to one record; the caller turns it into an audit row. */
export interface RecordOutcome {
  action: AuditAction;
  crmId: string;
  sahutId: string | null;
  diff: FieldDiff | null;
  /** Human-readable reason for rejected / ambiguous / failed. */
  error: string | null;
  link?: Link;
}
