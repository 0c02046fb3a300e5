import type { AuditAction, Run, Store } from '../../store/index.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Interval lengths a person reads at a glance, shortest first; a week is the store's longest. */
const INTERVALS = [
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12, 24, 168].map((n) => n * HOUR),
];
/** Bars a chart can show side by side and stay readable. */
const MAX_INTERVALS = 60;

export type ActionCounts = Partial<Record<AuditAction, number>>;

/** A run's audit rows over time: what `/api/runs/:id/timeline` answers and the run page draws. */
export interface RunTimeline {
  runId: string;
  intervalMs: number;
  /** Oldest first: every interval from the run's start to its end (now, while it runs), empty ones too. */
  intervals: { start: Date; counts: ActionCounts }[];
  /** Rows per action over the whole run: attempts (a retried record counts each time), not records. */
  totals: ActionCounts;
}

/** The shortest interval that splits `spanMs` into at most MAX_INTERVALS. */
export function intervalFor(spanMs: number): number {
  return INTERVALS.find((ms) => spanMs <= ms * MAX_INTERVALS) ?? (INTERVALS.at(-1) as number);
}

/**
 * The run's throughput from the audit's timestamps, counted by the store.
 * Rows stamped outside the run's start and end (none are expected) still
 * show, in intervals of their own.
 */
export async function runTimeline(
  store: Store,
  run: Pick<Run, 'id' | 'startedAt' | 'finishedAt'>,
  now = new Date(),
): Promise<RunTimeline> {
  const start = run.startedAt.getTime();
  const end = Math.max((run.finishedAt ?? now).getTime(), start);
  const intervalMs = intervalFor(end - start);
  const floor = (t: number) => Math.floor(t / intervalMs) * intervalMs;
  const counts = new Map<number, ActionCounts>();
  for (let t = floor(start); t <= end; t += intervalMs) counts.set(t, {});
  const totals: ActionCounts = {};
  for (const bucket of await store.auditTimeline(run.id, intervalMs)) {
    const at = bucket.start.getTime();
    counts.set(at, { ...counts.get(at), [bucket.action]: bucket.rows });
    totals[bucket.action] = (totals[bucket.action] ?? 0) + bucket.rows;
  }
  const intervals = [...counts]
    .sort(([a], [b]) => a - b)
    .map(([at, byAction]) => ({ start: new Date(at), counts: byAction }));
  return { runId: run.id, intervalMs, intervals, totals };
}
