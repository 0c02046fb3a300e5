import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ListPage, SahutContact } from '../../sahut/types.ts';
import type { AuditEntry } from '../../store/types.ts';
import { normaliseEmail, normalisePhone } from '../../sync/index.ts';
import type { Runtime } from '../runtime.ts';

export const SCAN_PER_PAGE = 100;
// A scan in progress elsewhere is waited for, not repeated; its lock outlives a stuck scanner by this.
const SCAN_LOCK_MS = 120_000;

export type AuditNote = (crmId: null, action: 'duplicate-suspected', extra: Partial<AuditEntry>) => void;

/**
 * Feeds a scan of Sahut into the store's scan index, page by page, and notes
 * every pair of contacts that share a normalised phone or email as
 * `duplicate-suspected` (once per connection and pair): a duplicate made by
 * the scan-then-POST race, or by anyone else, becomes visible.
 */
export function createIndexer(rt: Runtime, connection: string, note: AuditNote) {
  const id = `scan-${randomUUID()}`;
  const region = rt.config.defaultRegion;
  let contacts = 0;
  let pages = 0;
  return {
    start: () => rt.store.startScan(id, new Date()),
    async page(listed: readonly SahutContact[]) {
      pages += 1;
      contacts += listed.length;
      await addToIndex(rt, connection, listed, region, note);
    },
    finish: () => rt.store.finishScan(id, { contacts, pages }, new Date()),
  };
}

export const indexRow = (c: SahutContact, region: string) => ({
  sahutId: c.id,
  phone: normalisePhone(c.phone, region),
  email: normaliseEmail(c.email),
  contact: c,
});

/** Indexes a scan's page and notes the pairs of contacts that newly share a phone or email. */
async function addToIndex(
  rt: Runtime,
  connection: string,
  listed: readonly SahutContact[],
  region: string,
  note: AuditNote,
) {
  const rows = listed.map((c) => indexRow(c, region));
  for (const pair of await rt.store.indexContacts(connection, rows, new Date())) {
    note(null, 'duplicate-suspected', {
      sahutId: pair.a,
      error: `Sahut contacts ${pair.a} and ${pair.b} share a ${pair.by}`,
      detail: { pair: [pair.a, pair.b], by: pair.by },
    });
  }
}

export interface FreshIndexOptions {
  maxAgeMs: number;
  note: AuditNote;
  flush: () => Promise<void>;
  first?: ListPage | undefined;
}

/**
 * Makes sure the scan index is no older than `maxAgeMs`, scanning Sahut
 * (`per_page=100`) when it is. One scan at a time per deployment: a run that
 * finds another scanning waits for it. `first` is page 1 when the caller has
 * just read it. Returns the list calls it made.
 */
export async function ensureFreshIndex(
  rt: Runtime,
  connection: string,
  { maxAgeMs, note, flush, first }: FreshIndexOptions,
): Promise<number> {
  const key = `${rt.config.redis.prefix}:sahut-scan`;
  for (;;) {
    const last = await rt.store.lastScan();
    if (last?.finishedAt && Date.now() - last.finishedAt.getTime() <= maxAgeMs) return 0;
    const token = randomUUID();
    if ((await rt.redis.set(key, token, 'PX', SCAN_LOCK_MS, 'NX')) !== 'OK') {
      await sleep(500);
      continue;
    }
    try {
      const scan: Scan = {
        indexer: createIndexer(rt, connection, note),
        list: (page) => rt.sahut.list({ page, perPage: SCAN_PER_PAGE }),
        indexed: async () => {
          await flush();
          await rt.redis.pexpire(key, SCAN_LOCK_MS);
        },
      };
      const inFlight = rt.config.worker.concurrency * rt.config.worker.batchSize;
      const side = await scanSideBySide(scan, inFlight, first);
      if (side.complete) return side.calls;
      scan.indexer = createIndexer(rt, connection, note);
      return side.calls + (await scanInOrder(scan));
    } finally {
      if ((await rt.redis.get(key)) === token) await rt.redis.del(key);
    }
  }
}

interface Scan {
  indexer: ReturnType<typeof createIndexer>;
  list(page: number): Promise<ListPage>;
  /** After each page is in the index: the audit is flushed and the scan lock kept. */
  indexed(): Promise<void>;
}

/**
 * Pages 2…N read side by side (up to `inFlight` at once), so a slow Sahut
 * costs two round trips, not N. Offset pages read out of order can skip a
 * contact that shifted while they were read, so the scan is complete only if
 * Sahut's total never moved and every contact it counted came back; else the
 * caller reads it again in order.
 */
async function scanSideBySide(scan: Scan, inFlight: number, first?: ListPage) {
  await scan.indexer.start();
  const page1 = first ?? (await scan.list(1));
  let calls = first ? 0 : 1;
  const { total, total_pages: pages } = page1.meta;
  let seen = page1.data.length;
  let steady = true;
  await scan.indexer.page(page1.data);
  await scan.indexed();
  let next = 2;
  let failed = false;
  const reader = async () => {
    try {
      while (steady && !failed && next <= pages) {
        const { data, meta } = await scan.list(next++);
        calls += 1;
        seen += data.length;
        steady &&= meta.total === total;
        await scan.indexer.page(data);
        await scan.indexed();
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  // Every reader has stopped before the scan fails, so none writes to the index after it.
  const readers = Array.from({ length: Math.min(inFlight, Math.max(0, pages - 1)) }, reader);
  const failure = (await Promise.allSettled(readers)).find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  const complete = steady && seen === total;
  if (complete) await scan.indexer.finish();
  return { calls, complete };
}

/** Pages in order: contacts inserted meanwhile only push the unread ones further, never past the reader. */
async function scanInOrder(scan: Scan): Promise<number> {
  await scan.indexer.start();
  for (let page = 1; ; page++) {
    const { data, meta } = await scan.list(page);
    await scan.indexer.page(data);
    await scan.indexed();
    if (data.length === 0 || page >= meta.total_pages) {
      await scan.indexer.finish();
      return page;
    }
  }
}
