import type { Job } from 'bullmq';
import type { Runtime } from './runtime.ts';

// Set only if the key still names the stale holder, so two claimants cannot both take it over.
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end
return false`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const LIVE_STATES = new Set(['active', 'waiting-children', 'waiting', 'delayed', 'prioritized']);

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
