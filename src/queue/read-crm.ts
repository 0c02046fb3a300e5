import type { Job } from 'bullmq';
import { sourceColumns } from '../mapping/index.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { createFanOut } from './fan-out.ts';
import { type RunJob, recordJobId } from './jobs.ts';
import type { Runtime } from './runtime.ts';
import { readWindow } from './window.ts';

/**
 * CRM→Sahut: reads one window of CRM changes from the run's cursor. Records
 * whose content hash equals the link's are settled here with no API call; the
 * rest become child jobs.
 */
export async function fanOutCrmWindow(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<RunJob> {
  const connection = rt.connection(data.connection);
  const { pageSize, windowSize } = connection.options;
  const window = readWindow(rt.connector(connection.name), data.cursor, windowSize, pageSize);
  const region = rt.config.defaultRegion;
  const out = createFanOut(rt, job, runId, connection.name, 'crm-to-sahut');
  // Job data sits in Redis and shows in the board: carry only the columns the mapping reads.
  const columns = sourceColumns(connection.mapping);
  const mappedOnly = (data: Record<string, unknown>) =>
    Object.fromEntries(columns.filter((c) => c in data).map((c) => [c, data[c]]));
  let total = 0;
  for await (const page of window.pages) {
    total += page.items.length;
    const records = page.items.flatMap((item) => {
      if (item.ok) return [item.record];
      out.audit(null, 'rejected', { error: `${item.rejected.ref}: ${item.rejected.reason}` });
      return [];
    });
    const links = await rt.store.getLinks(
      connection.name,
      records.map((r) => r.id),
    );
    for (const record of records) {
      const prepared = prepareRecord(record, connection, region);
      const link = links.get(record.id);
      if (prepared.kind === 'rejected') out.audit(record.id, 'rejected', { error: prepared.reason });
      else if (link && link.crmHash === prepared.hash)
        out.audit(record.id, 'unchanged', { sahutId: link.sahutId });
      else
        out.child(recordJobId(runId, data.window, record.id), {
          direction: 'crm-to-sahut',
          runId,
          connection: connection.name,
          record: { id: record.id, data: mappedOnly(record.data) },
        });
    }
    await out.flush();
  }
  await rt.store.addRunTotal(runId, total);
  return { ...data, step: 'wait', windowEnd: window.end(), more: window.more() };
}
