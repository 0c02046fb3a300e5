import { randomBytes } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { type ActionRequest, type Actor, actionRequestSchema, actorSchema } from '../../attention/index.ts';
import type { Config } from '../../config/index.ts';

/** One action of a person on the attention listing, carried out by a worker. */
export const actionJobSchema = z.object({ request: actionRequestSchema, actor: actorSchema });
export type ActionJob = z.infer<typeof actionJobSchema>;

/** What a finished action job returns (its `returnvalue`). */
export interface ActionResult {
  /** What happened: `acknowledged`, `run` (a run will report on the record), or the outcome of a take. */
  outcome: string;
  /** The run that reads the record again (link, create, retry), and the job carrying it. */
  runId?: string;
  runJobId?: string;
  /** The audit rows of the decision (and of a take's writes) are under this id. */
  actionId: string;
}

/**
 * Also the run id of the decision's audit rows: unique without Redis, readable,
 * sorted by time, like a run's (`act-20261129-081500-3f2a`).
 */
export function newActionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  return `act-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function actionJobOptions(config: Readonly<Config>): JobsOptions {
  return {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { count: config.worker.keepCompleted },
    removeOnFail: { count: config.worker.keepFailed },
  };
}

/** Queues the action; a worker carries it out. Returns its id (see `actionStatus`). */
export async function enqueueAction(
  queue: Queue,
  config: Readonly<Config>,
  request: ActionRequest,
  actor: Actor,
): Promise<string> {
  const data: ActionJob = { request, actor };
  const id = newActionId();
  await queue.add(request.action, data, { ...actionJobOptions(config), jobId: id });
  return id;
}

export interface ActionStatus {
  id: string;
  /** BullMQ's state (waiting, active, completed, failed …), or `unknown` once removed. */
  state: string;
  request: ActionRequest | null;
  result: ActionResult | null;
  /** Why the worker refused or failed it. */
  error: string | null;
}

export async function actionStatus(queue: Queue, id: string): Promise<ActionStatus | null> {
  const job = await queue.getJob(id);
  if (!job) return null;
  const data = actionJobSchema.safeParse(job.data);
  return {
    id,
    state: await job.getState(),
    request: data.success ? data.data.request : null,
    result: (job.returnvalue as ActionResult | null) ?? null,
    error: job.failedReason ?? null,
  };
}
