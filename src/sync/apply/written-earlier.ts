import type { AuditAction, Link } from '../../store/types.ts';

export const WRITTEN_EARLIER = 'written by an earlier attempt of this run, which stopped before recording it';

/**
 * The outcome to report for a record whose link already holds its content: if
 * this very run wrote that link, an attempt before this one did the work and
 * died before its audit row (a killed worker, a lost job), so its outcome is
 * the record's, not `unchanged`. Null when there is nothing to report.
 */
export function writtenEarlier(link: Link, runId: string | undefined): AuditAction | null {
  const written = link.writtenBy;
  if (!runId || written?.runId !== runId || written.action === 'unchanged') return null;
  return written.action;
}
