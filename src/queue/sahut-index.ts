import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SahutContact } from '../sahut/types.ts';
import type { AuditEntry } from '../store/types.ts';
import { normaliseEmail, normalisePhone } from '../sync/index.ts';
import type { Runtime } from './runtime.ts';

const PER_PAGE = 100;
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

const indexed = (c: SahutContact, region: string) => ({
  sahutId: c.id,
  phone: normalisePhone(c.phone, region),
  email: normaliseEmail(c.email),
  contact: c,
});

/**
 * A contact this deployment just created goes into the index at once, so a second CRM record
 * of the same person links to it. Shared identities are left to the next scan to report.
 */
export async function indexCreated(rt: Runtime, connection: string, contact: SahutContact) {
  await rt.store.indexContacts(connection, [indexed(contact, rt.config.defaultRegion)], new Date(), false);
}

/** Indexes a scan's page and notes the pairs of contacts that newly share a phone or email. */
async function addToIndex(
  rt: Runtime,
  connection: string,
  listed: readonly SahutContact[],
  region: string,
  note: AuditNote,
) {
  const rows = listed.map((c) => indexed(c, region));
  for (const pair of await rt.store.indexContacts(connection, rows, new Date())) {
    note(null, 'duplicate-suspected', {
      sahutId: pair.a,
      error: `Sahut contacts ${pair.a} and ${pair.b} share a ${pair.by}`,
      detail: { pair: [pair.a, pair.b], by: pair.by },
    });
  }
}

/**
 * Makes sure the scan index is no older than `maxAgeMs`, scanning Sahut
 * (`per_page=100`) when it is. One scan at a time per deployment: a run that
 * finds another scanning waits for it. Returns the list calls it made.
 */
export async function ensureFreshIndex(
  rt: Runtime,
  connection: string,
  maxAgeMs: number,
  note: AuditNote,
  flush: () => Promise<void>,
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
      const indexer = createIndexer(rt, connection, note);
      await indexer.start();
      for (let page = 1; ; page++) {
        const { data, meta } = await rt.sahut.list({ page, perPage: PER_PAGE });
        await indexer.page(data);
        await flush();
        await rt.redis.pexpire(key, SCAN_LOCK_MS);
        if (data.length === 0 || page >= meta.total_pages) {
          await indexer.finish();
          return page;
        }
      }
    } finally {
      if ((await rt.redis.get(key)) === token) await rt.redis.del(key);
    }
  }
}
