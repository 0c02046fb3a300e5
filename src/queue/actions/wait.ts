import { QueueEvents } from 'bullmq';
import type { Runtime } from '../runtime.ts';
import { type ActionStatus, actionStatus } from './job.ts';

/** Waits (on queue events) until a worker has carried out the action or refused it. */
export async function waitForAction(rt: Runtime, id: string): Promise<ActionStatus | null> {
  const queue = rt.queues.actions;
  // Read from the stream's current end, taken before the job's state is checked (see waitForRun).
  const [last] = await rt.redis.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
  const events = new QueueEvents(queue.name, {
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    lastEventId: last?.[0] ?? '0-0',
  });
  events.on('error', (err) => rt.log.error({ err }, 'queue events error'));
  try {
    await events.waitUntilReady();
    const job = await queue.getJob(id);
    await job?.waitUntilFinished(events).catch(() => {});
  } finally {
    await events.close();
  }
  return actionStatus(queue, id);
}
