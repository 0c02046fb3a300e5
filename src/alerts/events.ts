import type { Direction } from '../domain/index.ts';

/** Why a record waits for a person (the attention listing's kinds). */
export type AttentionKind =
  | 'ambiguous'
  | 'rejected'
  | 'failed'
  | 'conflict'
  | 'duplicate-suspected'
  | 'gone-in-sahut'
  | 'deletion-guard';

/** A run ended failed for good: its retries ran out, or it could not start. */
export interface RunFailedEvent {
  kind: 'run-failed';
  connection: string;
  direction: Direction;
  runId: string | null;
  /** The error as the run job saw it; secrets and PII are taken out before it is sent. */
  error: string;
}

/** Records were added to the attention listing of a connection. */
export interface AttentionEvent {
  kind: 'attention';
  connection: string;
  direction: Direction;
  runId: string | null;
  records: readonly AttentionRecord[];
}

export interface AttentionRecord {
  kind: AttentionKind;
  crmId: string | null;
  sahutId: string | null;
  /** The audit row's reason or error, if any. */
  reason: string | null;
}

export type AlertEvent = RunFailedEvent | AttentionEvent;
