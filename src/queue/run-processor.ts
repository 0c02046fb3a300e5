import { DelayedError, type Job, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { cannotWriteBack } from './apply-record.ts';
import { runIdFromJobId, runJobSchema } from './jobs.ts';
import { fanOutCrmWindow } from './read-crm.ts';
import { claimConnection, releaseConnection } from './run-guard.ts';
import type { Runtime } from './runtime.ts';
import { scanSahut } from './scan-sahut.ts';

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
 * (crm-to-sahut), or every Sahut contact in one window (sahut-to-crm). Records
 * whose content hash equals the link's are settled with no API call; the rest
 * become child jobs. Only when every child of a window settled does the durable
 * cursor move.
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
    if (!data.runId) {
      const runId = runIdFromJobId(jobId);
      await rt.store.startRun({
        id: runId,
        connection: connection.name,
        direction: data.direction,
        dryRun: false,
      });
      data = { ...data, runId, cursor: await rt.store.getCursor(connection.name, data.direction) };
      await job.updateData(data);
    }
    const runId = data.runId as string;
    const log = rt.log.child({ runId, connection: connection.name, direction: data.direction });

    for (;;) {
      if (data.step === 'read') {
        const fanOut = data.direction === 'sahut-to-crm' ? scanSahut : fanOutCrmWindow;
        data = await fanOut(rt, job, data, runId);
        await job.updateData(data);
        if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      }
      // Every record of the window settled (done, or failed and audited): the cursor may move.
      if (data.windowEnd) await rt.store.setCursor(connection.name, data.direction, data.windowEnd);
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
    await rt.store.finishRun(runId, 'succeeded');
    await releaseConnection(rt, connection.name, jobId);
    rt.metrics?.runs.inc({ connection: connection.name, direction: data.direction, outcome: 'succeeded' });
    rt.metrics?.lastSuccess.set(
      { connection: connection.name, direction: data.direction },
      Date.now() / 1000,
    );
    log.info('run finished');
    return { runId, connection: connection.name, direction: data.direction };
  };
}
