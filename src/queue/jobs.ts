import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DIRECTIONS } from '../domain/index.ts';

/** `actions`: what people decide in the attention listing, carried out by the workers (src/queue/actions). */
export const QUEUES = { runs: 'runs', records: 'records', actions: 'actions' } as const;

/** A run: one connection, one direction, read from its durable cursor in windows. */
export const runJobSchema = z.object({
  connection: z.string().min(1),
  direction: z.enum(DIRECTIONS),
  trigger: z.enum(['schedule', 'cli', 'replay', 'notify']).default('schedule'),
  /** Read the whole source, not only what changed since the cursor (`run --once --full`). */
  full: z.boolean().default(false),
  /** Set by the run itself on first start, so every retry keeps the same id. */
  runId: z.string().optional(),
  /** `carry`: records that failed in earlier runs are read again first (window 0). */
  step: z.enum(['carry', 'read', 'wait']).default('read'),
  window: z.number().int().min(0).default(0),
  cursor: z.string().nullable().default(null),
  /** Cursor after the window whose records are in flight; stored once they all settled. */
  windowEnd: z.string().nullable().default(null),
  more: z.boolean().default(false),
});
export type RunJob = z.infer<typeof runJobSchema>;

const crmRecordSchema = z.object({ id: z.string().min(1), data: z.record(z.string(), z.unknown()) });

export const recordJobSchema = z.discriminatedUnion('direction', [
  z.object({
    direction: z.literal('crm-to-sahut'),
    runId: z.string(),
    connection: z.string(),
    record: crmRecordSchema,
  }),
  /** A linked Sahut contact that changed since the last sync, to merge into its CRM record. */
  z.object({
    direction: z.literal('sahut-to-crm'),
    runId: z.string(),
    connection: z.string(),
    sahutId: z.string().min(1),
    crmId: z.string().min(1),
  }),
]);
export type RecordJob = z.infer<typeof recordJobSchema>;

export interface RecordResult {
  action: string;
}

/** BullMQ ids may not contain ':' nor be all digits; the same record in the same window gets the same id. */
export function recordJobId(runId: string, window: number, key: string): string {
  const digest = createHash('sha1').update(key).digest('hex').slice(0, 20);
  return `rec-${runId}-w${window}-${digest}`;
}

/**
 * A new run's job id, which is also its run id: unique without Redis (a Redis
 * that lost its keys restarts BullMQ's counter, and the store outlives it),
 * readable, and sorted by start time.
 */
export function newRunJobId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The run a run job carries: its own id when it was made by `newRunJobId`, else one derived from id and time. */
export function runIdOf(job: { id?: string | undefined; timestamp: number }): string {
  const id = job.id ?? '';
  if (id.startsWith('run-')) return id;
  return `run-${id.replace(/[^A-Za-z0-9_-]/g, '-')}-${job.timestamp.toString(36)}`;
}
