import { UnrecoverableError } from 'bullmq';
import type { AuditAction } from '../store/types.ts';

/**
 * A record that reached an outcome no retry can change (ambiguous, rejected).
 * The job fails at once so that it is kept for `replay --failed`, but nothing
 * broke: the summary and the audit report it, and the log says so at info,
 * not as a failure an operator must act on. Still an `UnrecoverableError`, so
 * BullMQ spends no further attempt on it.
 */
export class RecordOutcomeError extends UnrecoverableError {
  readonly action: AuditAction;
  readonly reason: string | null;

  constructor(action: AuditAction, reason: string | null) {
    super(`${action}: ${reason}`);
    this.action = action;
    this.reason = reason;
  }
}
