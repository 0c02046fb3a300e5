import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DIRECTIONS } from '../domain/index.ts';

export const QUEUES = { runs: 'runs', records: 'records' } as const;

/** A run: one connection, one direction, read from its durable cursor in windows. */
export const runJobSchema = z.object({
  connection: z.string().min(1),
  direction: z.enum(DIRECTIONS),
  trigger: z.enum(['schedule', 'cli', 'replay', 'notify']).default('schedule'),
  /** Set by the run itself on first start, so every retry keeps the same id. */
  runId: z.string().optional(),
  step: z.enum(['read', 'wait']).default('read'),
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

export function runIdFromJobId(jobId: string): string {
  return `run-${jobId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}
