/** Which side a linked record disappeared from. */
export type RemovalSide = 'crm' | 'sahut';

/**
 * How it was found: `soft-deleted` (the CRM's deleted column), `tombstone` (the delete
 * trigger), `absent` (a full read of the CRM did not return it), `not-found` (a 404 for the
 * record or the contact), `missing` (complete Sahut scans in a row did not list it).
 */
export type RemovalReason = 'soft-deleted' | 'tombstone' | 'absent' | 'not-found' | 'missing';

/**
 * `counting`: Sahut scans are still counting it missing (not yet due); `due`: the next run acts
 * on it (and its guard counts it); `flagged`: waiting for a person (the `gone-in-sahut` entry).
 */
export type RemovalState = 'counting' | 'due' | 'flagged';

/** What a person chose for a flagged disappearance; the next run carries it out. */
export type RemovalDecision = 'recreate' | 'unlink';

export interface Removal {
  connection: string;
  crmId: string;
  side: RemovalSide;
  /** The contact the link held when the removal was found. */
  sahutId: string;
  reason: RemovalReason;
  misses: number;
  state: RemovalState;
  decision: RemovalDecision | null;
  /** The run that last noted it. */
  runId: string;
  firstAt: Date;
  at: Date;
}

export type NewRemoval = Pick<Removal, 'crmId' | 'side' | 'sahutId' | 'reason'>;

/** Scans in a row a contact must be missing from before it counts as gone. */
export const MISSES_TO_GONE = 2;
