import type { DailyLimitSeen } from '../../crm/index.ts';
import { DIRECTIONS, type Direction } from '../../domain/index.ts';
import { findRunInFlight, GUARD_NOTE, readDailyLimits, schedulerId } from '../../queue/index.ts';
import { ATTENTION_KINDS, type AttentionKind, type Run } from '../../store/index.ts';
import { CHART_RUNS } from '../charts/index.ts';
import { withTimeout } from '../health/timeout.ts';
import type { AttentionDeps } from './deps.ts';

/** One connection and direction on the dashboard's home page. */
export interface SyncHealth {
  connection: string;
  direction: Direction;
  lastSuccess: Pick<Run, 'id' | 'startedAt' | 'finishedAt'> | null;
  /** The latest run that read its source, whatever its status. */
  lastRun: Pick<Run, 'id' | 'status' | 'startedAt' | 'finishedAt'> | null;
  /** Links of the connection (both directions share them). */
  linked: number;
  attention: Partial<Record<AttentionKind, number>>;
  /** From the BullMQ job scheduler; null when not scheduled, undefined when Redis did not answer. */
  nextRun: Date | null | undefined;
  inFlight: { runId: string; state: string } | null | undefined;
  /** The last runs that read the source, oldest first: what each left needing a person. */
  trend: RunAttention[];
  /** Of those runs, newest first, the ones that acted on removals or were stopped by the deletion guard. */
  removals: RunRemovals[];
}

/** The audit actions a removal ends with. */
export const REMOVAL_ACTIONS = ['deleted', 'relinked', 'recreated', 'unlinked', 'gone-in-sahut'] as const;

/** What one run did about deletions and disappearances, or the guard's message when it stopped it. */
export interface RunRemovals {
  runId: string;
  startedAt: Date;
  status: Run['status'];
  counts: Partial<Record<(typeof REMOVAL_ACTIONS)[number], number>>;
  guard: string | null;
}

/** One run's records whose outcome needs a person, by kind (the run's outcome counts). */
export interface RunAttention {
  runId: string;
  startedAt: Date;
  status: Run['status'];
  attention: Partial<Record<AttentionKind, number>>;
}

const REDIS_TIMEOUT_MS = 2_000;
const RUNS_SCANNED = 50;

/**
 * Replays and person-started retries only redo records; a run that read its
 * source has an id of the form `run-…` (see `runIdOf`).
 */
const readItsSource = (run: Run) => run.id.startsWith('run-');

/**
 * Every connection and direction the connections file names or the store has
 * seen, with how it is doing. Redis answers (schedules, runs in flight) are
 * bounded in time: without Redis the page still shows what the store knows.
 */
export async function syncHealth(deps: AttentionDeps): Promise<SyncHealth[]> {
  const [counts, links, recent, schedulers] = await Promise.all([
    deps.store.countAttention(),
    deps.store.countLinks(),
    deps.store.listRuns({ limit: 200 }),
    withTimeout(deps.queues.runs.getJobSchedulers(0, -1), REDIS_TIMEOUT_MS).catch(() => undefined),
  ]);
  const pairs = new Map<string, { connection: string; direction: Direction }>();
  const add = (connection: string, direction: Direction) =>
    pairs.set(`${connection}\u0000${direction}`, { connection, direction });
  for (const c of deps.connections) for (const d of c.directions) add(c.name, d);
  for (const r of recent) add(r.connection, r.direction);
  for (const n of counts) add(n.connection, n.direction);
  const sorted = [...pairs.values()].sort(
    (a, b) =>
      a.connection.localeCompare(b.connection) ||
      DIRECTIONS.indexOf(a.direction) - DIRECTIONS.indexOf(b.direction),
  );
  return Promise.all(
    sorted.map(async ({ connection, direction }): Promise<SyncHealth> => {
      const runs = (await deps.store.listRuns({ connection, direction, limit: RUNS_SCANNED })).filter(
        readItsSource,
      );
      const success = runs.find((r) => r.status === 'succeeded');
      const attention: SyncHealth['attention'] = {};
      for (const n of counts)
        if (n.connection === connection && n.direction === direction) attention[n.kind] = n.records;
      const scheduled = schedulers?.find((s) => s.key === schedulerId(connection, direction));
      return {
        connection,
        direction,
        lastSuccess: success ? pick(success) : null,
        lastRun: runs[0] ? { ...pick(runs[0]), status: runs[0].status } : null,
        linked: links.get(connection) ?? 0,
        attention,
        nextRun: schedulers === undefined ? undefined : scheduled?.next ? new Date(scheduled.next) : null,
        inFlight: await inFlight(deps, connection, direction),
        trend: runs.slice(0, CHART_RUNS).reverse().map(runAttention),
        removals: runs.slice(0, CHART_RUNS).flatMap(runRemovals),
      };
    }),
  );
}

function runAttention(run: Run): RunAttention {
  const attention: RunAttention['attention'] = {};
  for (const kind of ATTENTION_KINDS) if (run.counts[kind]) attention[kind] = run.counts[kind];
  return { runId: run.id, startedAt: run.startedAt, status: run.status, attention };
}

function runRemovals(run: Run): RunRemovals[] {
  const counts: RunRemovals['counts'] = {};
  for (const action of REMOVAL_ACTIONS) if (run.counts[action]) counts[action] = run.counts[action];
  const guard = run.status === 'failed' && run.note?.startsWith(GUARD_NOTE) ? run.note : null;
  if (!guard && Object.keys(counts).length === 0) return [];
  return [{ runId: run.id, startedAt: run.startedAt, status: run.status, counts, guard }];
}

const pick = (run: Run) => ({ id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt });

async function inFlight(deps: AttentionDeps, connection: string, direction: Direction) {
  try {
    const found = await withTimeout(findRunInFlight(deps, connection, direction), REDIS_TIMEOUT_MS);
    if (!found) return null;
    return { runId: found.runId, state: await withTimeout(found.job.getState(), REDIS_TIMEOUT_MS) };
  } catch {
    return undefined;
  }
}

/**
 * The CRM's daily API budget per connection (HubSpot's `X-HubSpot-RateLimit-Daily-Remaining`), as
 * the workers last saw it; undefined when Redis did not answer.
 */
export async function crmDailyLimits(deps: AttentionDeps): Promise<Map<string, DailyLimitSeen> | undefined> {
  try {
    if (!deps.redis) return undefined;
    return await withTimeout(readDailyLimits(deps.redis, deps.config.redis.prefix), REDIS_TIMEOUT_MS);
  } catch {
    return undefined;
  }
}
