import { type Job, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import type { AuditEntry } from '../store/types.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { type RunJob, recordJobId, runIdFromJobId, runJobSchema } from './jobs.ts';
import type { Runtime } from './runtime.ts';
import { readWindow } from './window.ts';

export interface RunSummary {
  runId: string;
  connection: string;
  direction: string;
}

/**
 * A run reads its source window by window. Records whose content hash equals
 * the link's are settled here with no API call; the rest become child jobs.
 * Only when every child of a window settled does the durable cursor move.
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
    if (!data.runId) {
      const runId = runIdFromJobId(job.id ?? String(Date.now()));
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
        data = await fanOutWindow(rt, job, data, runId);
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
    rt.metrics?.runs.inc({ connection: connection.name, direction: data.direction, outcome: 'succeeded' });
    rt.metrics?.lastSuccess.set(
      { connection: connection.name, direction: data.direction },
      Date.now() / 1000,
    );
    log.info('run finished');
    return { runId, connection: connection.name, direction: data.direction };
  };
}

async function fanOutWindow(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<RunJob> {
  const connection = rt.connection(data.connection);
  const { pageSize, windowSize } = connection.options;
  const window = readWindow(rt.connector(connection.name), data.cursor, windowSize, pageSize);
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const region = rt.config.defaultRegion;
  let total = 0;
  for await (const page of window.pages) {
    total += page.items.length;
    const audit: AuditEntry[] = [];
    const entry = (crmId: string | null, action: AuditEntry['action'], extra: Partial<AuditEntry> = {}) =>
      audit.push({
        runId,
        jobId: job.id ?? null,
        connection: connection.name,
        direction: 'crm-to-sahut',
        crmId,
        sahutId: null,
        action,
        diff: null,
        error: null,
        attempt: job.attemptsMade + 1,
        ...extra,
      });
    const records = page.items.flatMap((item) => {
      if (item.ok) return [item.record];
      entry(null, 'rejected', { error: `${item.rejected.ref}: ${item.rejected.reason}` });
      return [];
    });
    const links = await rt.store.getLinks(
      connection.name,
      records.map((r) => r.id),
    );
    const children = [];
    for (const record of records) {
      const prepared = prepareRecord(record, connection, region);
      const link = links.get(record.id);
      if (prepared.kind === 'rejected') entry(record.id, 'rejected', { error: prepared.reason });
      else if (link && link.crmHash === prepared.hash)
        entry(record.id, 'unchanged', { sahutId: link.sahutId });
      else
        children.push({
          name: 'crm-to-sahut',
          data: { direction: 'crm-to-sahut', runId, connection: connection.name, record },
          opts: { jobId: recordJobId(runId, data.window, record.id), parent, ...rt.recordJobOptions },
        });
    }
    if (audit.length) await rt.store.appendAudit(audit);
    for (const a of audit)
      rt.metrics?.records.inc({ action: a.action, direction: a.direction, connection: a.connection });
    // addBulk is all-or-nothing per call; bounded chunks keep each Redis transaction small.
    for (let i = 0; i < children.length; i += 500)
      await rt.queues.records.addBulk(children.slice(i, i + 500));
  }
  await rt.store.addRunTotal(runId, total);
  return { ...data, step: 'wait', windowEnd: window.end(), more: window.more() };
}
