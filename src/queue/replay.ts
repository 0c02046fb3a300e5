import { randomUUID } from 'node:crypto';
import { FlowProducer, type Job } from 'bullmq';
import type { Direction } from '../domain/index.ts';
import {
  keyOf,
  QUEUES,
  type RecordItem,
  type RecordJob,
  type RunJob,
  recordJobId,
  recordJobSchema,
} from './jobs.ts';
import type { Runtime } from './runtime.ts';

export interface ReplayResult {
  runId: string;
  connection: string;
  direction: Direction;
  records: number;
  job: Job;
}

/**
 * Puts the failed record jobs still kept in Redis back to work, as one new
 * run per connection and direction (so the audit shows the replay as its own run), then
 * removes the old failed jobs.
 */
export async function replayFailed(rt: Runtime, filter: { runId?: string } = {}): Promise<ReplayResult[]> {
  const failed = await rt.queues.records.getFailed(0, -1);
  const groups = new Map<string, { id: string; data: RecordJob }[]>();
  // Held records are released: a replay processes every record the failed jobs kept.
  for (const job of failed) {
    const parsed = recordJobSchema.safeParse(job.data);
    if (!parsed.success || !job.id) continue;
    if (filter.runId && parsed.data.runId !== filter.runId) continue;
    const key = JSON.stringify([parsed.data.connection, parsed.data.direction]);
    const list = groups.get(key) ?? [];
    list.push({ id: job.id, data: parsed.data });
    groups.set(key, list);
  }
  const flows = new FlowProducer({ connection: rt.redis, prefix: rt.config.redis.prefix });
  const results: ReplayResult[] = [];
  try {
    for (const jobs of groups.values()) {
      const { connection, direction } = (jobs[0] as { data: RecordJob }).data;
      // One record once, whichever failed job kept it last.
      const items = [
        ...new Map(
          jobs
            .flatMap(({ data: d }): RecordItem[] => d.records)
            .map((item): [string, RecordItem] => [keyOf(item), release(item)]),
        ).values(),
      ];
      const runId = `replay-${randomUUID()}`;
      // The run job's id is the run id, so the run's liveness can be checked like any other's.
      await rt.store.startRun({ id: runId, connection, direction, dryRun: false, jobId: runId });
      await rt.store.addRunRecords(runId, 0, items.map(keyOf));
      // Nothing to read: the run only waits for its children, then finishes.
      const data: Partial<RunJob> = {
        connection,
        direction,
        trigger: 'replay',
        runId,
        step: 'wait',
      };
      const node = await flows.add({
        name: 'run',
        queueName: QUEUES.runs,
        data,
        opts: { jobId: runId, removeOnComplete: { count: rt.config.worker.keepCompleted } },
        children: batches(items, rt.config.worker.batchSize).map((batch) => ({
          name: direction,
          queueName: QUEUES.records,
          data: { direction, runId, connection, records: batch },
          opts: { ...rt.recordJobOptions, jobId: recordJobId(runId, 0, keyOf(batch[0] as RecordItem)) },
        })),
      });
      for (const { id } of jobs) await rt.queues.records.remove(id);
      results.push({ runId, connection, direction, records: items.length, job: node.job });
    }
  } finally {
    await flows.close();
  }
  return results;
}

function release(item: RecordItem): RecordItem {
  const { held: _held, ...rest } = item;
  return rest;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
