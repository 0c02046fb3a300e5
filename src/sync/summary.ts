import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from '../store/types.ts';

export type ActionCounts = Record<AuditAction, number>;

/** Outcomes that make a run exit non-zero: the record did not reach Sahut as the CRM has it. */
export const FAILING_ACTIONS = ['failed', 'ambiguous', 'rejected'] as const satisfies readonly AuditAction[];

/** How many records ended in each action; every action is present, zeros included. */
export function summarise(actions: Iterable<AuditAction>): ActionCounts {
  const counts = Object.fromEntries(AUDIT_ACTIONS.map((a) => [a, 0])) as ActionCounts;
  for (const action of actions) counts[action] += 1;
  return counts;
}

type Attempt = Pick<AuditEntry, 'crmId' | 'sahutId' | 'action' | 'attempt'>;

/**
 * The action of each record's latest attempt, so a record that failed once and
 * then succeeded counts as a success. Entries without any id count on their own.
 */
export function latestActions(entries: Iterable<Attempt>): AuditAction[] {
  const latest = new Map<string, Attempt>();
  const anonymous: AuditAction[] = [];
  for (const entry of entries) {
    const key =
      entry.crmId !== null ? `crm:${entry.crmId}` : entry.sahutId !== null ? `sahut:${entry.sahutId}` : null;
    if (key === null) anonymous.push(entry.action);
    else if ((latest.get(key)?.attempt ?? -Infinity) <= entry.attempt) latest.set(key, entry);
  }
  return [...[...latest.values()].map((e) => e.action), ...anonymous];
}

/** 1 when any record failed, was ambiguous or was rejected; 0 otherwise. */
export function exitCodeFor(counts: Partial<Record<AuditAction, number>>): 0 | 1 {
  return FAILING_ACTIONS.some((a) => (counts[a] ?? 0) > 0) ? 1 : 0;
}
