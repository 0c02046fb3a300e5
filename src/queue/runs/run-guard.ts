import type { Job } from 'bullmq';
import type { Runtime } from '../runtime.ts';
import { notifyRunFailure } from './run-failed.ts';

// Set only if the key still names the stale holder, so two claimants cannot both take it over.
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end
return false`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
export const LIVE_STATES = new Set(['active', 'waiting-children', 'waiting', 'delayed', 'prioritized']);

const keyOf = (rt: Runtime, connection: string) => `${rt.config.redis.prefix}:run-owner:${connection}`;

/**
 * One run per connection at a time, whatever its direction: two runs would
 * read the same cursor twice, and opposite directions would race on the same
 * links. Returns null when `jobId` holds the connection, else the holder's job.
 * A holder whose job is no longer alive (failed, removed) is taken over.
 */
export async function claimConnection(rt: Runtime, connection: string, jobId: string): Promise<Job | null> {
  const key = keyOf(rt, connection);
  for (;;) {
    if ((await rt.redis.set(key, jobId, 'NX')) === 'OK') return null;
    const holder = await rt.redis.get(key);
    if (holder === null) continue;
    if (holder === jobId) return null;
    const job = await rt.queues.runs.getJob(holder);
    if (job && LIVE_STATES.has(await job.getState())) return job;
    if ((await rt.redis.eval(TAKE_OVER, 1, key, holder, jobId)) === 'OK') return null;
  }
}

export async function releaseConnection(rt: Runtime, connection: string, jobId: string): Promise<void> {
  await rt.redis.eval(RELEASE, 1, keyOf(rt, connection), jobId);
}

/** Whether the job carrying a run is still in Redis and not finished. */
export async function isLive(rt: Runtime, jobId: string | null): Promise<boolean> {
  if (jobId === null) return false;
  const job = await rt.queues.runs.getJob(jobId);
  return job !== undefined && LIVE_STATES.has(await job.getState());
}

/**
 * Runs of `connection` that the store still calls running but whose job is gone
 * or finished (its worker died past the stall limit, Redis lost it in a
 * failover, someone removed it) are ended as failed, with the reason, so no run
 * stays "running" forever. Their records are not lost: the durable cursor never
 * moved past an unsettled window, so the next run reads them again.
 */
export async function reapOrphanRuns(rt: Runtime, connection: string, except: string): Promise<string[]> {
  const reaped: string[] = [];
  for (const run of await rt.store.listRuns({ connection, status: 'running', limit: 100 })) {
    if (run.id === except || run.dryRun || (await isLive(rt, run.jobId))) continue;
    const note = run.jobId
      ? `its run job ${run.jobId} ended or vanished before the run finished; the next run reads its unsettled records again`
      : 'it has no run job';
    await rt.store.finishRun(run.id, 'failed', note);
    rt.metrics?.runs.inc({ connection, direction: run.direction, outcome: 'failed' });
    rt.log.warn(
      { runId: run.id, connection, jobId: run.jobId },
      'run ended without finishing; reported failed',
    );
    notifyRunFailure(rt, { connection, direction: run.direction, runId: run.id, error: note });
    reaped.push(run.id);
  }
  return reaped;
}
