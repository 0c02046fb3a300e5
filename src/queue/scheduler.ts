import type { Queue } from 'bullmq';
import type { Connection } from '../config/index.ts';
import type { Direction } from '../domain/index.ts';
import type { RunJob } from './jobs.ts';

// Every scheduler we own starts with this, so schedules added by hand are left alone.
const ID_PREFIX = 'sync--';
export const schedulerId = (connection: string, direction: Direction) =>
  `${ID_PREFIX}${connection}--${direction}`;

export interface ScheduleChanges {
  upserted: string[];
  removed: string[];
}

/**
 * Makes Redis hold exactly one job scheduler per scheduled (connection,
 * direction) in config. Upserting the same id is an update, so any number of
 * schedulers may run this at once or restart at will.
 */
export async function syncSchedules(
  queue: Queue,
  connections: readonly Connection[],
): Promise<ScheduleChanges> {
  const desired = new Map<string, { connection: Connection; direction: Direction }>();
  for (const connection of connections) {
    if (!connection.schedule) continue;
    for (const direction of connection.directions)
      desired.set(schedulerId(connection.name, direction), { connection, direction });
  }
  for (const [id, { connection, direction }] of desired) {
    const schedule = connection.schedule as NonNullable<Connection['schedule']>;
    const data: Pick<RunJob, 'connection' | 'direction' | 'trigger'> = {
      connection: connection.name,
      direction,
      trigger: 'schedule',
    };
    await queue.upsertJobScheduler(id, { pattern: schedule.cron, tz: schedule.tz }, { name: 'run', data });
  }
  const removed: string[] = [];
  for (const existing of await queue.getJobSchedulers(0, -1)) {
    if (existing.key.startsWith(ID_PREFIX) && !desired.has(existing.key)) {
      await queue.removeJobScheduler(existing.key);
      removed.push(existing.key);
    }
  }
  return { upserted: [...desired.keys()], removed };
}
