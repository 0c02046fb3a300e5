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
  /** A person confirmed this many removals past the deletion guard (`run --once --allow-deletes N`). */
  allowDeletes: z.number().int().min(0).optional(),
  /** Rows of the CRM read that had no id: a full read with any cannot tell a deleted record. */
  unreadable: z.number().int().min(0).default(0),
  /** The Sahut scan listed every contact (its total never moved, and every one counted came back). */
  scanComplete: z.boolean().default(false),
  /** Set by the run itself on first start, so every retry keeps the same id. */
  runId: z.string().optional(),
  /** `carry`: records that failed in earlier runs are read again first (window 0). */
  step: z.enum(['carry', 'read', 'wait']).default('read'),
  window: z.number().int().min(0).default(0),
  cursor: z.string().nullable().default(null),
  /** Cursor after the window whose records are in flight; stored once they all settled. */
  windowEnd: z.string().nullable().default(null),
  more: z.boolean().default(false),
  /** How this run matches its unlinked records (`options.match`), and what it has cost and saved so far. */
  matching: z
    .object({
      mode: z.enum(['undecided', 'search', 'index']).default('undecided'),
      /** Unlinked records handed out by search so far. */
      searched: z.number().int().default(0),
      /** Searches the scan index saved (one per phone or email of each record matched with it). */
      saved: z.number().int().default(0),
      /** List calls spent on scans (and on asking Sahut how many pages a scan would take). */
      scanCalls: z.number().int().default(0),
      sahutPages: z.number().int().nullable().default(null),
    })
    .default({ mode: 'undecided', searched: 0, saved: 0, scanCalls: 0, sahutPages: null }),
});
export type RunJob = z.infer<typeof runJobSchema>;
export type Matching = RunJob['matching'];

const crmRecordSchema = z.object({ id: z.string().min(1), data: z.record(z.string(), z.unknown()) });

/**
 * Set on a record of a batch that reached an outcome no retry changes
 * (ambiguous, rejected, failed for good) while others are retried: it is not
 * processed again, and stays in the job for `replay --failed`.
 */
const heldSchema = z.object({
  action: z.enum(['ambiguous', 'rejected', 'failed']),
  error: z.string().nullable(),
});

const toSahutItem = crmRecordSchema.extend({ held: heldSchema.optional() });
/**
 * A linked Sahut contact that changed since the last sync, to merge into its CRM record;
 * or, with `walkIn`, a contact no CRM record links to, which `options.createInCrm`
 * selected: its `crmId` is then its key `sahut:<sahutId>` (see walk-ins.ts).
 */
const toCrmItem = z.object({
  sahutId: z.string().min(1),
  crmId: z.string().min(1),
  walkIn: z.literal(true).optional(),
  held: heldSchema.optional(),
});

/**
 * A small batch of records of one run: one BullMQ job carries several, so the
 * queue's per-job work (Redis round trips, locks, events) is paid once per
 * batch, while audit, retries and replay stay per record.
 */
export const recordJobSchema = z.discriminatedUnion('direction', [
  z.object({
    direction: z.literal('crm-to-sahut'),
    runId: z.string(),
    connection: z.string(),
    /** How unlinked records are matched: a search by phone and email, or the scan index. */
    match: z.enum(['search', 'index']).default('search'),
    records: z.array(toSahutItem).min(1),
  }),
  z.object({
    direction: z.literal('sahut-to-crm'),
    runId: z.string(),
    connection: z.string(),
    records: z.array(toCrmItem).min(1),
  }),
]);
export type RecordJob = z.infer<typeof recordJobSchema>;
export type RecordItem = RecordJob['records'][number];
export type Held = z.infer<typeof heldSchema>;

/** The record one item is about: its CRM id, in either direction. */
export const keyOf = (item: RecordItem): string => ('id' in item ? item.id : item.crmId);

export interface RecordResult {
  /** Records per action in this job's last attempt. */
  actions: Record<string, number>;
}

/**
 * BullMQ ids may not contain ':' nor be all digits. Named after the first record of
 * the batch, so the same window read again hands out the same jobs.
 */
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
