import type { CrmConnector } from '../../crm/types.ts';
import type { FieldDiff } from '../../domain/index.ts';
import type { SahutApi, SahutContact } from '../../sahut/types.ts';
import type { AuditAction, Link, NewRemoval, Store } from '../../store/types.ts';

/** The narrow slices of I/O the apply step needs; tests can hand in small fakes or the real thing. */
export interface ApplyPorts {
  sahut: Pick<SahutApi, 'iterate' | 'get' | 'create' | 'update'>;
  /** `getDecision`: what a person decided about a record that was ambiguous (see decisions.ts). */
  store: Pick<Store, 'getLinks' | 'upsertLink' | 'findLinks' | 'getDecision'>;
  locks: IdentityLocks;
  /** The CRM where it may be written (two-way connections); absent, the CRM is never written. */
  crm?: CrmWriter;
  /** The scan index: Sahut's contacts as last scanned, for matching without searches. */
  index?: ScanIndex;
  /** Claims in the store on an identity while a contact is created for it (absent in a dry run). */
  claims?: IdentityClaims;
  /**
   * Where a linked record found gone is noted for the run's removal step (docs/deletions.md);
   * absent, a contact gone from Sahut is matched afresh (a dry run, a recreate).
   */
  removals?: RemovalNotes;
}

/** Notes a removal: the run's removal step acts on it, under the deletion guard. */
export type RemovalNotes = (removal: NewRemoval) => Promise<void>;

/** The outcome of a record whose other side is gone: settled for now, the removal step decides. */
export function goneOutcome(crmId: string, removal: NewRemoval): RecordOutcome {
  const what =
    removal.side === 'crm' ? `CRM record ${crmId} is gone` : `Sahut contact ${removal.sahutId} is gone`;
  return {
    action: 'unchanged',
    crmId,
    sahutId: removal.sahutId,
    diff: null,
    error: `${what}: left to the run's removal step`,
  };
}

/**
 * What keeps two creates of one person apart when Redis, and with it the identity locks, is
 * lost mid-run: a claim in the store, taken before the POST, under which the links holding the
 * identity (or the record) are read again. Waits while another holds it, long enough for a
 * dead holder's claim to lapse; throws a transient error when a live one holds it longer.
 */
export interface IdentityClaims {
  withClaim<T>(
    claim: { crmId: string; phone: string | null; email: string | null; keys: readonly string[] },
    fn: (found: { links: Link[]; stale: boolean }) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T>;
}

export interface ScanIndex {
  find(identity: { phone: string | null; email: string | null }): Promise<SahutContact[]>;
  add(contact: SahutContact): Promise<void>;
}

export type CrmWriter = Pick<CrmConnector, 'get'> & { update: NonNullable<CrmConnector['update']> };

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
  /** Human-readable reason for rejected / ambiguous / failed, or the notes of a merge. */
  error: string | null;
  /** Structured facts for the audit row's detail (conflicts, candidates …). */
  detail?: unknown;
  link?: Link;
  /** From the GET a PUT was computed from to the PUT leaving: how long an agent edit could be overwritten. */
  sahutWindowMs?: number;
}
