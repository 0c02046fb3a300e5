import { randomUUID } from 'node:crypto';
import { FlowProducer, type Job } from 'bullmq';
import type { Direction } from '../../domain/index.ts';
import {
  keyOf,
  QUEUES,
  type RecordItem,
  type RecordJob,
  type RunJob,
  recordJobId,
  recordJobSchema,
} from '../jobs.ts';
import type { Runtime } from '../runtime.ts';

export interface ReplayResult {
  runId: string;
  connection: string;
  direction: Direction;
  records: number;
  job: Job;
}

/** Held outcomes a replay would only repeat: the record (as its job kept it) or Sahut's contacts must change first. */
const NOT_REPLAYED = ['rejected', 'ambiguous'] as const;
type NotReplayed = (typeof NOT_REPLAYED)[number];

export interface Replay {
  runs: ReplayResult[];
  /** Records of the failed jobs left out, by outcome; their jobs keep them. */
  leftOut: Record<NotReplayed, number>;
}

/**
 * Puts the failed records of the failed record jobs still kept in Redis back to
 * work, as one new run per connection and direction (so the audit shows the
 * replay as its own run). A record the job held as rejected or ambiguous is left
 * out: replayed as it is, it would end the same way (the summary, the audit and
 * the attention listing name it). A job whose records are all replayed is
 * removed; one that still holds records left out keeps only those.
 */
export async function replayFailed(rt: Runtime, filter: { runId?: string } = {}): Promise<Replay> {
  const failed = await rt.queues.records.getFailed(0, -1);
  const groups = new Map<
    string,
    { job: Job; data: RecordJob; records: RecordItem[]; kept: RecordItem[] }[]
  >();
  const leftOut = new Map<string, NotReplayed>();
  for (const job of failed) {
    const parsed = recordJobSchema.safeParse(job.data);
    if (!parsed.success || !job.id) continue;
    if (filter.runId && parsed.data.runId !== filter.runId) continue;
    const kept = parsed.data.records.filter((item) => isNotReplayed(item.held?.action));
    const { connection, direction } = parsed.data;
    for (const item of kept)
      leftOut.set(recordOf(connection, direction, item), item.held?.action as NotReplayed);
    const records: RecordItem[] = parsed.data.records.filter((item) => !kept.includes(item));
    if (records.length === 0) continue;
    const key = JSON.stringify([parsed.data.connection, parsed.data.direction]);
    const list = groups.get(key) ?? [];
    list.push({ job, data: parsed.data, records, kept });
    groups.set(key, list);
  }
  const flows = new FlowProducer({ connection: rt.redis, prefix: rt.config.redis.prefix });
  const runs: ReplayResult[] = [];
  try {
    for (const jobs of groups.values()) {
      const { connection, direction } = (jobs[0] as { data: RecordJob }).data;
      // One record once, whichever failed job kept it last; held ones are released.
      const items = [
        ...new Map(
          jobs
            .flatMap(({ records }) => records)
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
      for (const { job, data: d, kept } of jobs) {
        if (kept.length > 0) await job.updateData({ ...d, records: kept });
        else await rt.queues.records.remove(job.id as string);
      }
      runs.push({ runId, connection, direction, records: items.length, job: node.job });
      for (const item of items) leftOut.delete(recordOf(connection, direction, item));
    }
  } finally {
    await flows.close();
  }
  const counts = { rejected: 0, ambiguous: 0 };
  for (const action of leftOut.values()) counts[action] += 1;
  return { runs, leftOut: counts };
}

const recordOf = (connection: string, direction: Direction, item: RecordItem) =>
  JSON.stringify([connection, direction, keyOf(item)]);

function isNotReplayed(action: string | undefined): action is NotReplayed {
  return (NOT_REPLAYED as readonly (string | undefined)[]).includes(action);
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
