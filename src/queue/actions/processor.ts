import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import {
  type ActionRequest,
  type Actor,
  actionProblem,
  ambiguityOf,
  describeAction,
} from '../../attention/index.ts';
import { isSahutError } from '../../sahut/errors.ts';
import type { AttentionEntry, AuditEntry, DecidedDetail } from '../../store/types.ts';
import { enqueueRun } from '../runs/runs.ts';
import type { Runtime } from '../runtime.ts';
import { followUpRun } from './follow-up.ts';
import { type ActionResult, actionJobSchema } from './job.ts';
import { takeConflictValue } from './take.ts';

/**
 * Carries out one person's action on the attention listing, checked again
 * against the listing as it is now (it may have changed since it was asked):
 * - acknowledge: the decision is audited, which hides the entry;
 * - link, create, retry: the decision is remembered (link, create), the
 *   record is put on the list the next run reads first, and a run is queued
 *   (or joined): that run's outcome takes the record out of the listing;
 * - take: the conflict's chosen value is written now (see take-value.ts).
 * Every decision is an audit row (`decided`) naming who, how and what, under
 * the action's id. A refused action fails at once, with the reason.
 */
export function createActionProcessor(rt: Runtime) {
  return async function processAction(
    job: Job,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<ActionResult> {
    const parsed = actionJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid action job: ${parsed.error.message}`);
    const { request, actor } = parsed.data;
    const actionId = job.id as string;
    const entry = await rt.store.getAttention(request.connection, request.id);
    const problem = actionProblem(entry, request);
    if (problem || !entry) throw new UnrecoverableError(problem?.message ?? 'not in the listing');
    if (!rt.connections.some((c) => c.name === request.connection))
      throw new UnrecoverableError(`connection ${request.connection} is not in the connections file`);
    const decided = decisionRow(entry, request, actor, actionId, job.attemptsMade + 1);
    try {
      if (request.action === 'acknowledge') {
        await rt.store.appendAudit([decided]);
        return { outcome: 'acknowledged', actionId };
      }
      if (request.action === 'take') {
        const outcome = await takeConflictValue(rt, entry, request, decided, signal);
        return { outcome, actionId };
      }
      if (request.action === 'confirm') return await confirmRemovals(rt, entry, decided);
      if (request.action === 'recreate' || request.action === 'unlink')
        return await decideRemoval(rt, entry, request.action, decided);
      return await rerun(rt, entry, request, decided, actor);
    } catch (err) {
      if (isSahutError(err) && err.permanent) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

/** The record is read again by a run, which settles it (or reports what is still wrong). */
async function rerun(
  rt: Runtime,
  entry: AttentionEntry,
  request: ActionRequest,
  decided: AuditEntry,
  actor: Actor,
): Promise<ActionResult> {
  const { connection } = request;
  const crmId = entry.crmId as string;
  if (entry.direction === 'crm-to-sahut') {
    const record = await rt.connector(connection).get(crmId);
    if (!record) throw new UnrecoverableError(`CRM record ${crmId} no longer exists: acknowledge it instead`);
    const by = actor.by;
    if (request.action === 'link')
      await rt.store.saveDecision({
        connection,
        crmId,
        kind: 'link',
        sahutId: request.candidate,
        by,
        at: new Date(),
      });
    if (request.action === 'create') {
      const ruledOut = ambiguityOf(entry.detail).candidates;
      await rt.store.saveDecision({ connection, crmId, kind: 'create', ruledOut, by, at: new Date() });
    }
    await rt.store.addCarried(connection, 'crm-to-sahut', [crmId], decided.runId);
  }
  // A Sahut→CRM run scans every contact: the record's changed contact is merged again.
  await rt.store.appendAudit([decided]);
  const { runId, jobId } = await followUpRun(rt, connection, entry.direction);
  rt.log.info(
    { actionId: decided.runId, runId, by: actor.by, action: request.action },
    'attention action queued a run',
  );
  return { outcome: 'run', runId, runJobId: jobId, actionId: decided.runId };
}

/**
 * recreate, unlink (a contact gone in Sahut): the decision goes on the removal, due again, and
 * a run is queued (or joined) whose removal step carries it out; its outcome settles the entry.
 */
async function decideRemoval(
  rt: Runtime,
  entry: AttentionEntry,
  decision: 'recreate' | 'unlink',
  decided: AuditEntry,
): Promise<ActionResult> {
  const crmId = entry.crmId as string;
  if (!(await rt.store.getRemoval(entry.connection, crmId, 'sahut')))
    throw new UnrecoverableError(`${crmId} no longer waits on a vanished contact: nothing to ${decision}`);
  await rt.store.setRemoval(entry.connection, crmId, 'sahut', { state: 'due', decision });
  await rt.store.appendAudit([decided]);
  const { runId, jobId } = await followUpRun(rt, entry.connection, entry.direction);
  return { outcome: 'run', runId, runJobId: jobId, actionId: decided.runId };
}

/**
 * confirm (a deletion guard's entry): a run of that direction is queued allowed to act on as
 * many removals as the guard held back, as `run --once --allow-deletes N` would; more due by
 * then trips the guard again, and the entry comes back.
 */
async function confirmRemovals(
  rt: Runtime,
  entry: AttentionEntry,
  decided: AuditEntry,
): Promise<ActionResult> {
  const parsed = z.object({ due: z.number().int().min(0) }).safeParse(entry.detail);
  if (!parsed.success) throw new UnrecoverableError(`${entry.id} does not say how many removals to confirm`);
  await rt.store.appendAudit([decided]);
  const { job, runId } = await enqueueRun(rt, entry.connection, entry.direction, 'cli', {
    allowDeletes: parsed.data.due,
  });
  return { outcome: 'run', runId, runJobId: job.id as string, actionId: decided.runId };
}

function decisionRow(
  entry: AttentionEntry,
  request: ActionRequest,
  actor: Actor,
  actionId: string,
  attempt: number,
): AuditEntry {
  const detail: DecidedDetail = {
    action: request.action,
    id: request.id,
    ...actor,
    ...(request.action === 'link' ? { candidate: request.candidate } : {}),
    ...(request.action === 'take' ? { field: request.field, side: request.side } : {}),
  };
  return {
    runId: actionId,
    jobId: actionId,
    connection: entry.connection,
    direction: entry.direction,
    crmId: entry.crmId,
    sahutId: request.action === 'link' ? request.candidate : entry.sahutId,
    action: 'decided',
    diff: null,
    error: `${describeAction(request)}, by ${actor.by} (${actor.via})`,
    attempt,
    detail,
  };
}
