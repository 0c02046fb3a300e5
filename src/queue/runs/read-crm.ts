import type { Job } from 'bullmq';
import type { CrmRecord } from '../../crm/types.ts';
import { sourceColumns } from '../../mapping/index.ts';
import type { Link } from '../../store/types.ts';
import { prepareRecord } from '../../sync/apply/prepare.ts';
import { WRITTEN_EARLIER, writtenEarlier } from '../../sync/apply/written-earlier.ts';
import { identityKeys } from '../../sync/identity.ts';
import type { RunJob } from '../jobs.ts';
import { noteSoftDeleted } from '../removals/index.ts';
import type { Runtime } from '../runtime.ts';
import { createMatcher, type Unlinked } from '../scan/matching.ts';
import { createFanOut } from './fan-out.ts';
import { readWindow } from './window.ts';

/** Window 0 of a CRM→Sahut run holds the records carried over from earlier runs. */
export const CARRY_WINDOW = 0;

/**
 * CRM→Sahut: reads one window of CRM changes from the run's cursor (the
 * run's first window from a little before it: `cursorOverlap`). Records whose
 * content hash equals the link's are settled here with no API call; the rest
 * become child jobs.
 */
export async function fanOutCrmWindow(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<RunJob> {
  const connection = rt.connection(data.connection);
  const { pageSize, windowSize, cursorOverlap } = connection.options;
  const overlapMs = data.window === CARRY_WINDOW + 1 ? cursorOverlap : 0;
  const window = readWindow(rt.connector(connection.name), data.cursor, windowSize, { pageSize, overlapMs });
  const triage = createTriage(rt, job, data, runId);
  let unreadable = 0;
  for await (const page of window.pages) {
    const records = page.items.flatMap((item) => {
      if (item.ok) return [item.record];
      triage.out.audit(null, 'rejected', { error: `${item.rejected.ref}: ${item.rejected.reason}` });
      return [];
    });
    unreadable += page.items.length - records.length;
    await triage.page(records, page.items.length - records.length);
  }
  await triage.end();
  return {
    ...triage.data(),
    step: 'wait',
    windowEnd: window.end(),
    more: window.more(),
    unreadable: data.unreadable + unreadable,
  };
}

/**
 * The records that ended `failed` in earlier runs, read again by id, whatever
 * the cursor says (the cursor moved past them once they were audited).
 */
export async function fanOutCarried(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<RunJob> {
  const connector = rt.connector(data.connection);
  // A record that failed may have been POSTed before its link was saved: only a live search sees it.
  const triage = createTriage(rt, job, data, runId, { live: true });
  const PAGE = 500;
  for (let after: string | null = null; ; ) {
    const carried = await rt.store.listCarried(data.connection, data.direction, after, PAGE);
    const records: CrmRecord[] = [];
    const gone: string[] = [];
    for (const { crmId } of carried) {
      const record = await connector.get(crmId);
      if (record) records.push(record);
      else gone.push(crmId);
    }
    // Gone from the CRM: nothing left to sync. Booked, so that it leaves the carried list (a
    // linked one is a deletion: the tombstone or a full read notes it).
    for (const id of gone.length > 0 ? await triage.out.read(gone) : [])
      triage.out.audit(id, 'unchanged', {
        error: 'gone from the CRM before it was synced again: nothing to do',
      });
    await triage.page(records);
    if (carried.length < PAGE) break;
    after = carried.at(-1)?.crmId ?? null;
  }
  await triage.end();
  return { ...triage.data(), step: 'wait', windowEnd: null, more: true };
}

/**
 * Settles unchanged and invalid records at once; hands the rest to record jobs
 * (mapped columns only), unlinked ones through the run's matcher.
 */
function createTriage(rt: Runtime, job: Job, data: RunJob, runId: string, opts: { live?: boolean } = {}) {
  const connection = rt.connection(data.connection);
  const region = rt.config.defaultRegion;
  const out = createFanOut(rt, job, runId, connection.name, 'crm-to-sahut', data.window);
  // Job data sits in Redis and shows in the board: carry only the columns the mapping reads.
  const columns = sourceColumns(connection.mapping);
  const mappedOnly = (values: Record<string, unknown>) =>
    Object.fromEntries(columns.filter((c) => c in values).map((c) => [c, values[c]]));
  const matching = { ...data.matching };
  const matcher = createMatcher<CrmRecord>(
    rt,
    connection,
    matching,
    { note: out.audit, flush: out.flush },
    (records, match) => {
      for (const record of records) out.child({ id: record.id, data: mappedOnly(record.data) }, match);
    },
  );
  return {
    out,
    data: (): RunJob => ({ ...data, matching }),
    async end() {
      matcher.end();
      await out.flush();
    },
    async page(read: readonly CrmRecord[], unidentified = 0) {
      // A record listed twice in one page (a duplicated id in a file) is taken as its last version.
      const all = [...new Map(read.map((r) => [r.id, r])).values()];
      // Soft-deleted and linked: the run's removal step books and settles it. Never synced: nothing to do.
      const unsynced = await noteSoftDeleted(
        rt,
        connection.name,
        runId,
        all.filter((r) => r.deleted),
      );
      if (unsynced.length > 0) {
        const booked = await out.read(unsynced.map((r) => r.id));
        for (const id of booked)
          out.audit(id, 'unchanged', { error: 'deleted in the CRM and never synced: nothing to do' });
      }
      const records = all.filter((r) => !r.deleted);
      const prepared = records.map((record) => ({
        record,
        ready: prepareRecord(record, connection, region),
      }));
      // By content, so a record edited during the run and read again in a later window is taken again.
      const fresh = await out.read(
        records.map((r) => r.id),
        unidentified,
        prepared.map(({ ready }) => (ready.kind === 'ready' ? ready.hash : `rejected ${ready.reason}`)),
      );
      const mine = prepared.filter(({ record }) => fresh.has(record.id));
      const links = await rt.store.getLinks(
        connection.name,
        mine.map(({ record }) => record.id),
      );
      const unlinked: Unlinked<CrmRecord>[] = [];
      for (const { record, ready } of mine) {
        const link = links.get(record.id);
        if (ready.kind === 'rejected') out.audit(record.id, 'rejected', { error: ready.reason });
        else if (link && link.crmHash === ready.hash) settledEarlier(out, record.id, link, runId);
        else if (link) out.child({ id: record.id, data: mappedOnly(record.data) });
        else if (opts.live) out.child({ id: record.id, data: mappedOnly(record.data) }, 'search');
        else {
          const { phone, email } = identityKeys(ready.contact);
          unlinked.push({ item: record, keys: (phone ? 1 : 0) + (email ? 1 : 0) });
        }
      }
      await matcher.add(unlinked);
      await out.flush();
    },
  };
}

/** Settled by its hash: unchanged, or what an attempt of this run did before it died unrecorded. */
export function settledEarlier(
  out: Pick<ReturnType<typeof createFanOut>, 'audit'>,
  crmId: string,
  link: Link,
  runId: string,
) {
  const earlier = writtenEarlier(link, runId);
  out.audit(crmId, earlier ?? 'unchanged', {
    sahutId: link.sahutId,
    ...(earlier ? { error: WRITTEN_EARLIER } : {}),
  });
}
