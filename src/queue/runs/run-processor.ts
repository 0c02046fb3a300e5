import { DelayedError, type Job, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import type { Connection } from '../../config/index.ts';
import { type RunJob, runIdOf, runJobSchema } from '../jobs.ts';
import { cannotWriteBack } from '../records/apply-record.ts';
import { type GuardTrip, removalStep } from '../removals/index.ts';
import type { Runtime } from '../runtime.ts';
import { matchingSummary } from '../scan/matching.ts';
import { scanSahut } from '../scan/scan-sahut.ts';
import { checkBooks, closeWindow } from './books.ts';
import { CARRY_WINDOW, fanOutCarried, fanOutCrmWindow } from './read-crm.ts';
import { notifyRunFailure } from './run-failed.ts';
import { claimConnection, reapOrphanRuns, releaseConnection } from './run-guard.ts';

export interface RunSummary {
  runId: string | null;
  connection: string;
  direction: string;
  /** Set when a scheduled run was skipped because this run (of the same direction) was still going. */
  skippedFor?: string;
}

// A run that must wait for another looks again this often.
const QUEUED_RUN_RETRY_MS = 2000;

/**
 * A run reads its source window by window: the CRM from its durable cursor
 * (crm-to-sahut, after the records carried over from failed attempts), or
 * every Sahut contact in one window (sahut-to-crm). Records whose content hash
 * equals the link's are settled with no API call; the rest become child jobs.
 * When every child of a window is done, the window's books are closed (a
 * record without an outcome is audited failed) and only then does the durable
 * cursor move. A run ends `succeeded` only when its books balance.
 */
export function createRunProcessor(rt: Runtime) {
  return async function processRun(job: Job, token?: string): Promise<RunSummary> {
    const parsed = runJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid run job: ${parsed.error.message}`);
    let data = parsed.data;
    const connection = rt.connection(data.connection);
    if (!connection.directions.includes(data.direction)) {
      throw new UnrecoverableError(`connection ${connection.name} does not sync ${data.direction}`);
    }
    if (data.direction === 'sahut-to-crm' && !rt.connector(connection.name).capabilities.update)
      throw new UnrecoverableError(cannotWriteBack(connection.name));
    const jobId = job.id as string;
    // Replays bring their records with them and read nothing: they need no claim.
    if (data.trigger !== 'replay') {
      const holder = await claimConnection(rt, connection.name, jobId);
      // A scheduled run finding the same sync still going is redundant; anything else waits its turn
      // (the other direction scheduled at the same minute must still run).
      const sameSync = (holder?.data as { direction?: string } | undefined)?.direction === data.direction;
      if (holder && data.trigger === 'schedule' && sameSync) {
        rt.log.info(
          { connection: connection.name, holder: holder.id },
          'previous run still going; scheduled run skipped',
        );
        return {
          runId: null,
          connection: connection.name,
          direction: data.direction,
          skippedFor: holder.id as string,
        };
      }
      if (holder) {
        await job.moveToDelayed(Date.now() + QUEUED_RUN_RETRY_MS, token);
        throw new DelayedError();
      }
    }
    if (!data.runId) data = await startRun(rt, job, data, connection);
    const runId = data.runId as string;
    // Delivered again after its run ended (its worker died between the end and BullMQ's
    // completion): the books are closed and dropped, so a removal step now would judge every
    // link missed. The run's account stands.
    const ended = await rt.store.getRun(runId);
    if (ended && ended.status !== 'running') {
      if (data.trigger !== 'replay') await releaseConnection(rt, connection.name, jobId);
      return { runId, connection: connection.name, direction: data.direction };
    }
    try {
      return await work(rt, job, data, runId, token);
    } catch (err) {
      // The last attempt's failure ends the run in the store too, so it never stays "running".
      const final = (job.opts.attempts ?? 1) <= job.attemptsMade + 1 || err instanceof UnrecoverableError;
      const flow = err instanceof WaitingChildrenError || err instanceof DelayedError;
      if (final && !flow) {
        await rt.store.finishRun(runId, 'failed', (err as Error).message).catch(() => {});
        await releaseConnection(rt, connection.name, jobId).catch(() => {});
        rt.metrics?.runs.inc({ connection: connection.name, direction: data.direction, outcome: 'failed' });
      }
      throw err;
    }
  };
}

async function startRun(rt: Runtime, job: Job, data: RunJob, connection: Connection): Promise<RunJob> {
  const jobId = job.id as string;
  const runId = runIdOf(job);
  await reapOrphanRuns(rt, connection.name, runId);
  await rt.store.startRun({
    id: runId,
    connection: connection.name,
    direction: data.direction,
    dryRun: false,
    jobId,
  });
  const full = data.full || fullExport(connection, data) || (await fullReadDue(rt, connection, data));
  const cursor = full ? null : await rt.store.getCursor(connection.name, data.direction);
  // CRM→Sahut starts with the records carried over from earlier runs (window 0).
  const step = data.direction === 'crm-to-sahut' ? 'carry' : 'read';
  const started: RunJob = { ...data, runId, full, cursor, step, window: CARRY_WINDOW };
  await job.updateData(started);
  return started;
}

async function work(rt: Runtime, job: Job, data: RunJob, runId: string, token?: string): Promise<RunSummary> {
  const { connection, direction } = data;
  const log = rt.log.child({ runId, connection, direction });
  for (;;) {
    if (data.step !== 'wait') {
      const fanOut =
        data.step === 'carry' ? fanOutCarried : direction === 'sahut-to-crm' ? scanSahut : fanOutCrmWindow;
      data = await fanOut(rt, job, data, runId);
      await job.updateData(data);
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
    }
    await closeWindow(rt, job, data, runId);
    // Every record of the window has an outcome (or was audited failed): the cursor may move.
    if (data.windowEnd) await rt.store.setCursor(connection, direction, data.windowEnd);
    if (!data.more) break;
    data = {
      ...data,
      step: 'read',
      window: data.window + 1,
      cursor: data.windowEnd ?? data.cursor,
      windowEnd: null,
    };
    await job.updateData(data);
  }
  // A replay holds no claim on the connection: what its records noted waits for the next run.
  const guard = data.trigger === 'replay' ? null : await removalStep(rt, job, data, runId);
  if (guard) return tripped(rt, job, data, runId, guard, log);
  return finish(rt, job, data, runId, log);
}

/**
 * The deletion guard stopped the run: it ends failed with the guard's message (nothing was
 * acted on, the removals wait), and the alert webhook says so. Not thrown: a retry would trip again.
 */
async function tripped(
  rt: Runtime,
  job: Job,
  data: RunJob,
  runId: string,
  trip: GuardTrip,
  log: Runtime['log'],
) {
  const { connection, direction } = data;
  const { message, due, links, limit } = trip;
  // A note in the attention listing (`guard:<direction>`), where a person can confirm.
  await rt.store.appendAudit([
    {
      runId,
      jobId: job.id ?? null,
      connection,
      direction,
      crmId: null,
      sahutId: null,
      action: 'deletion-guard',
      diff: null,
      error: message,
      attempt: job.attemptsMade + 1,
      detail: { due, links, limit },
    },
  ]);
  await rt.store.finishRun(runId, 'failed', message);
  await releaseConnection(rt, connection, job.id as string);
  rt.metrics?.runs.inc({ connection, direction, outcome: 'failed' });
  log.error({ reason: message }, 'deletion guard tripped; run failed, nothing removed');
  notifyRunFailure(rt, { connection, direction, runId, error: message });
  return { runId, connection, direction };
}

async function finish(rt: Runtime, job: Job, data: RunJob, runId: string, log: Runtime['log']) {
  const { connection, direction } = data;
  const run = await rt.store.getRun(runId);
  const unbalanced = run ? await checkBooks(rt, run) : `run ${runId} is missing from the store`;
  const status = unbalanced ? 'failed' : 'succeeded';
  if (direction === 'crm-to-sahut') {
    const { match, saved } = matchingSummary(data.matching);
    await rt.store.setRunMatch(runId, match, saved);
  }
  await rt.store.finishRun(runId, status, unbalanced);
  if (!unbalanced) {
    await rt.store.dropRunRecords(runId);
    if (data.full) await rt.store.markFullRead(connection, direction, run?.startedAt ?? new Date());
  }
  await releaseConnection(rt, connection, job.id as string);
  rt.metrics?.runs.inc({ connection, direction, outcome: status });
  if (unbalanced) {
    log.error({ reason: unbalanced }, 'run finished, but its books do not balance');
    notifyRunFailure(rt, { connection, direction, runId, error: unbalanced });
  } else {
    rt.metrics?.lastSuccess.set({ connection, direction }, Date.now() / 1000);
    log.info('run finished');
  }
  return { runId, connection, direction };
}

/** A file that is a full export (`source.fullExport`) is read whole by every run: what it lacks was deleted. */
function fullExport(connection: Connection, data: RunJob): boolean {
  return (
    data.direction === 'crm-to-sahut' && connection.source.type === 'file' && connection.source.fullExport
  );
}

/** `options.fullReadEvery`: a CRM→Sahut run reads the whole source when the last full read is that old. */
async function fullReadDue(rt: Runtime, connection: Connection, data: RunJob): Promise<boolean> {
  const every = connection.options.fullReadEvery;
  if (!every || data.direction !== 'crm-to-sahut') return false;
  const last = await rt.store.lastFullRead(connection.name, data.direction);
  return last === null || Date.now() - last.getTime() >= every;
}
