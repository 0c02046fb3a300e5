import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditQuery,
  type AuditRow,
  type Link,
  type RunFilter,
  RunNotFoundError,
  type Store,
  StoreArgumentError,
} from '../src/store/index.ts';
import { type RawSql, registerAttentionTests } from './store-attention-suite.ts';
import { registerRemovalTests } from './store-removals-suite.ts';
import { registerTimelineTests } from './store-timeline-suite.ts';

/** How one backend's test file gives the shared suite its databases. */
export interface StoreHarness {
  /** A new, unmigrated store instance on the database `name` (same name → same database). */
  open(name: string): Promise<Store>;
  /** Ids in the migrations table of database `name`, ascending. */
  appliedMigrations(name: string): Promise<number[]>;
  /** Every migration the backend ships, ascending. */
  migrationIds: readonly number[];
  /** Runs statements on database `name`, its tables unqualified. */
  sql: RawSql;
}

/**
 * The store contract, run once per backend. Tests share one database and keep
 * out of each other's way with unique connection names, run ids and keys.
 */
export function registerStoreTests(backend: string, harness: StoreHarness): void {
  describe(`${backend} store`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await harness.open('main');
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('migrate', () => {
      it('is idempotent and safe when two instances migrate at once', async () => {
        const [a, b] = [await harness.open('concurrent'), await harness.open('concurrent')];
        try {
          await Promise.all([a.migrate(), b.migrate()]);
          await a.upsertLink(makeLink('c', 'crm-1'));
          await Promise.all([a.migrate(), b.migrate()]);

          expect(await harness.appliedMigrations('concurrent')).toEqual(harness.migrationIds);
          expect((await b.getLinks('c', ['crm-1'])).get('crm-1')?.sahutId).toBe('sahut-crm-1');
          await expect(b.ping()).resolves.toBeUndefined();
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      });

      it('tells what is pending without applying it', async () => {
        const fresh = await harness.open('pending');
        try {
          const pending = await fresh.pendingMigrations();
          expect(pending.map((p) => Number(p.split(' ')[0]))).toEqual(harness.migrationIds);
          expect(await fresh.pendingMigrations()).toEqual(pending);
          await fresh.migrate();
          expect(await fresh.pendingMigrations()).toEqual([]);
          expect(await harness.appliedMigrations('pending')).toEqual(harness.migrationIds);
          await harness.sql(
            'pending',
            `insert into migrations (id, name, applied_at) values (99, 'from the future', '2030-01-01T00:00:00Z')`,
          );
          await expect(fresh.pendingMigrations()).rejects.toThrow(
            new RegExp(`at migration 99, but this build only knows up to ${harness.migrationIds.at(-1)}`),
          );
        } finally {
          await fresh.close();
        }
      });
    });

    registerAttentionTests(() => store, harness.open, harness.sql);
    registerTimelineTests(() => store, harness.sql);
    registerRemovalTests(() => store);

    describe('links', () => {
      it('upserts, replaces and reads links in one batch', async () => {
        const connection = unique('conn');
        const [one, two, three] = ['crm-1', 'crm-2', 'crm-3'].map((id) => makeLink(connection, id));
        for (const link of [one!, two!, three!]) await store.upsertLink(link);
        await store.upsertLink(makeLink(unique('other'), 'crm-1'));

        const found = await store.getLinks(connection, ['crm-1', 'crm-3', 'crm-missing']);
        expect([...found.keys()].sort()).toEqual(['crm-1', 'crm-3']);
        expect(found.get('crm-1')).toEqual(one);
        expect(found.get('crm-3')).toEqual(three);
        expect((await store.getLinks(connection, [])).size).toBe(0);

        const replaced = makeLink(connection, 'crm-1', {
          sahutId: 'sahut-new',
          phone: '+6281100000001',
          base: { name: 'Renamed' },
          crmHash: 'crm-hash-2',
          sahutHash: 'sahut-hash-2',
          syncedAt: new Date('2025-06-01T00:00:00.001Z'),
        });
        await store.upsertLink(replaced);
        expect((await store.getLinks(connection, ['crm-1'])).get('crm-1')).toEqual(replaced);
        expect(await store.getLinksBySahutIds(connection, ['sahut-new'])).toEqual([replaced]);
        expect(await store.getLinksBySahutIds(connection, ['sahut-crm-1'])).toEqual([]);
      });

      it('round-trips the base snapshot, custom attributes and tags included', async () => {
        const connection = unique('conn');
        const base = {
          name: 'Zoë Ñandú 🚀 "quoted" \\ back',
          phone: '+6281234567890',
          email: null,
          tags: ['vip', 'jakarta', 'x,y'],
          custom_attributes: {
            plan: 'pro',
            seats: 12,
            ratio: 0.25,
            active: true,
            churned: false,
            note: null,
          },
        };
        const link = makeLink(connection, 'crm-json', {
          base,
          syncedAt: new Date('2024-02-29T23:59:59.999Z'),
        });
        await store.upsertLink(link);

        const read = (await store.getLinks(connection, ['crm-json'])).get('crm-json');
        expect(read?.base).toStrictEqual(base);
        expect(read?.syncedAt).toBeInstanceOf(Date);
        expect(read?.syncedAt.toISOString()).toBe('2024-02-29T23:59:59.999Z');

        // Absent keys mean "not managed": they must stay absent, not come back as null.
        await store.upsertLink(makeLink(connection, 'crm-sparse', { base: { email: 'a@example.com' } }));
        const sparse = (await store.getLinks(connection, ['crm-sparse'])).get('crm-sparse');
        expect(sparse?.base).toStrictEqual({ email: 'a@example.com' });
      });

      it('finds links by crm id, Sahut id, phone or email, across connections', async () => {
        const [a, b] = [unique('conn-a'), unique('conn-b')];
        const phone = `+62${Math.floor(Math.random() * 1e10)}`;
        const email = `${unique('mail')}@example.com`;
        const crmId = unique('crm');
        await store.upsertLink(makeLink(a, 'crm-1', { phone, email: null }));
        await store.upsertLink(makeLink(b, 'crm-9', { phone, email: null }));
        await store.upsertLink(makeLink(a, 'crm-2', { phone: null, email }));
        await store.upsertLink(makeLink(b, crmId, { sahutId: `sahut-${crmId}` }));
        const keysOf = (links: Link[]) => links.map((l) => `${l.connection}/${l.crmId}`).sort();

        expect(keysOf(await store.findLinks({ phone }))).toEqual([`${a}/crm-1`, `${b}/crm-9`].sort());
        expect(keysOf(await store.findLinks({ email }))).toEqual([`${a}/crm-2`]);
        expect(keysOf(await store.findLinks({ crmId }))).toEqual([`${b}/${crmId}`]);
        expect(keysOf(await store.findLinks({ sahutId: `sahut-${crmId}` }))).toEqual([`${b}/${crmId}`]);
        expect(keysOf(await store.findLinks({ phone, email }))).toEqual(
          [`${a}/crm-1`, `${a}/crm-2`, `${b}/crm-9`].sort(),
        );
        expect(await store.findLinks({ phone, email }, 2)).toHaveLength(2);
        // Within one connection only, whatever the others hold.
        expect(keysOf(await store.findLinks({ connection: b, phone }))).toEqual([`${b}/crm-9`]);
        expect(await store.findLinks({ email: `nobody-${email}` })).toEqual([]);
        expect(await store.findLinks({})).toEqual([]);
        await expect(store.findLinks({ phone }, 0)).rejects.toBeInstanceOf(StoreArgumentError);
      });

      it('searches links by a phone prefix, phone digits, part of an email or of a name, literally', async () => {
        const [a, b] = [unique('conn-a'), unique('conn-b')].sort() as [string, string];
        // A prefix of its own, ending in 9, so the range's upper bound has to carry.
        const prefix = `+628${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}9`;
        const token = randomUUID().slice(0, 8);
        await store.upsertLink(
          makeLink(a, 'crm-1', { phone: `${prefix}01`, email: `siti.${token}@example.com` }),
        );
        await store.upsertLink(
          makeLink(b, 'crm-2', { phone: `${prefix}92`, base: { name: `Budi Z${token} Santoso` } }),
        );
        await store.upsertLink(
          makeLink(a, 'crm-3', { phone: `+1${prefix.slice(3)}01`, base: { name: `100%_${token}` } }),
        );
        const keysOf = (links: Link[]) => links.map((l) => `${l.connection}/${l.crmId}`);

        expect(keysOf(await store.searchLinks({ phonePrefix: prefix }))).toEqual([
          `${a}/crm-1`,
          `${b}/crm-2`,
        ]);
        expect(keysOf(await store.searchLinks({ phonePrefix: `${prefix}9` }))).toEqual([`${b}/crm-2`]);
        // Digits anywhere: all three phones end the same way after their country code.
        expect(keysOf(await store.searchLinks({ phoneDigits: prefix.slice(4) }))).toEqual([
          `${a}/crm-1`,
          `${a}/crm-3`,
          `${b}/crm-2`,
        ]);
        expect(keysOf(await store.searchLinks({ emailPart: `SITI.${token}@` }))).toEqual([`${a}/crm-1`]);
        expect(keysOf(await store.searchLinks({ namePart: `z${token} SANTO` }))).toEqual([`${b}/crm-2`]);
        // LIKE wildcards are plain characters.
        expect(keysOf(await store.searchLinks({ namePart: `0%_${token}` }))).toEqual([`${a}/crm-3`]);
        expect(await store.searchLinks({ namePart: `0__${token}` })).toEqual([]);
        // Parts are OR-ed, each link once, in (connection, crm id) order, within the limit.
        const either = { emailPart: `.${token}@`, namePart: token };
        expect(keysOf(await store.searchLinks(either))).toEqual([`${a}/crm-1`, `${a}/crm-3`, `${b}/crm-2`]);
        expect(keysOf(await store.searchLinks(either, 2))).toEqual([`${a}/crm-1`, `${a}/crm-3`]);
        expect(await store.searchLinks({})).toEqual([]);
        expect(await store.searchLinks({ emailPart: `nobody-${token}` })).toEqual([]);
        for (const bad of [
          { phonePrefix: '62812' },
          { phonePrefix: '+6' },
          { phoneDigits: '081' },
          { namePart: 'a' },
        ]) {
          await expect(store.searchLinks(bad), JSON.stringify(bad)).rejects.toBeInstanceOf(
            StoreArgumentError,
          );
        }
      });

      it("lists a connection's links in crm id order, page by page", async () => {
        const connection = unique('conn');
        const ids = Array.from({ length: 25 }, (_, i) => `crm-${String(i).padStart(3, '0')}`);
        for (const id of shuffled(ids)) await store.upsertLink(makeLink(connection, id));
        await store.upsertLink(makeLink(unique('other'), 'crm-005'));

        const pages: string[][] = [];
        let after: string | null = null;
        for (;;) {
          const page: Link[] = await store.listLinks(connection, after, 7);
          if (page.length === 0) break;
          expect(page.every((link) => link.connection === connection)).toBe(true);
          pages.push(page.map((link) => link.crmId));
          after = page[page.length - 1]!.crmId;
        }
        expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 4]);
        expect(pages.flat()).toEqual(ids);
        expect((await store.listLinks(connection, 'crm-022', 10)).map((l) => l.crmId)).toEqual([
          'crm-023',
          'crm-024',
        ]);
      });

      it('links several CRM records to one Sahut contact and reads them back by Sahut id', async () => {
        const connection = unique('conn');
        // Inserted out of crm id order, so the result's order must come from the query.
        const second = makeLink(connection, 'crm-b', { sahutId: 'sahut-shared' });
        const first = makeLink(connection, 'crm-a', { sahutId: 'sahut-shared' });
        const odd = makeLink(connection, 'crm-c', { sahutId: `sahut-"q'\\ 🚀` });
        for (const link of [second, first, odd]) await store.upsertLink(link);
        await store.upsertLink(makeLink(unique('other'), 'crm-z', { sahutId: 'sahut-shared' }));
        // Saving the same pair again is an update, not a third link.
        const resaved = { ...second, crmHash: 'saved-again' };
        await store.upsertLink(resaved);

        expect((await store.getLinks(connection, ['crm-a', 'crm-b', 'crm-c'])).size).toBe(3);
        expect(await store.getLinksBySahutIds(connection, ['sahut-shared'])).toEqual([first, resaved]);

        // 1,000 ids in one call, nearly all unlinked, one given twice; ordered by Sahut id, then crm id.
        const misses = Array.from({ length: 997 }, (_, i) => `sahut-none-${i}`);
        const batch = shuffled([...misses, 'sahut-shared', odd.sahutId, 'sahut-shared']);
        expect(batch).toHaveLength(1000);
        expect(await store.getLinksBySahutIds(connection, batch)).toEqual([odd, first, resaved]);
        expect(await store.getLinksBySahutIds(connection, misses)).toEqual([]);
        expect(await store.getLinksBySahutIds(connection, [])).toEqual([]);

        // Moving one record to another contact leaves the other where it was.
        const moved = { ...first, sahutId: 'sahut-moved' };
        await store.upsertLink(moved);
        expect(await store.getLinksBySahutIds(connection, ['sahut-shared', 'sahut-moved'])).toEqual([
          moved,
          resaved,
        ]);
      });
    });

    describe('audit', () => {
      it('appends 1,000 rows in one call and returns them newest first', async () => {
        const connection = unique('conn');
        const runId = unique('run');
        const entries = Array.from({ length: 1000 }, (_, i) =>
          makeEntry({
            runId,
            connection,
            crmId: `crm-${i}`,
            sahutId: i % 2 ? `sahut-${i}` : null,
            action: i % 3 ? 'updated' : 'failed',
            diff: i % 3 ? { name: { before: `old ${i}`, after: `new ${i}` } } : null,
            error: i % 3 ? null : `HTTP 503 on record ${i}`,
            attempt: (i % 4) + 1,
          }),
        );
        const before = Date.now();
        await store.appendAudit(entries);
        const after = Date.now();

        const page = await store.queryAudit({ runId, limit: 1000 });
        expect(page.nextCursor).toBeNull();
        expect(page.rows).toHaveLength(1000);
        expect(page.rows.map(entryOf)).toEqual([...entries].reverse());
        expect(isStrictlyDescending(page.rows.map((row) => BigInt(row.id)))).toBe(true);
        for (const row of [page.rows[0]!, page.rows[999]!]) {
          expect(row.at).toBeInstanceOf(Date);
          expect(row.at.getTime()).toBeGreaterThanOrEqual(before - 5_000);
          expect(row.at.getTime()).toBeLessThanOrEqual(after + 5_000);
        }
        await store.appendAudit([]);
        expect((await store.queryAudit({ runId, limit: 1000 })).rows).toHaveLength(1000);
      });

      it('AND-s the filters on connection, crm id, Sahut id, run id and action', async () => {
        const connection = unique('conn');
        const [r1, r2, s1, s2] = [unique('run'), unique('run'), unique('sahut'), unique('sahut')];
        await store.appendAudit([
          makeEntry({ connection, runId: r1, crmId: 'c1', sahutId: s1, action: 'created' }),
          makeEntry({ connection, runId: r1, crmId: 'c2', sahutId: s2, action: 'failed' }),
          makeEntry({ connection, runId: r2, crmId: 'c1', sahutId: s1, action: 'updated' }),
          makeEntry({ connection, runId: r2, crmId: null, sahutId: null, action: 'rejected' }),
        ]);
        await store.appendAudit([
          makeEntry({ connection: unique('other'), runId: r1, crmId: 'c1', action: 'created' }),
        ]);
        const find = async (query: Omit<AuditQuery, 'limit'>) =>
          (await store.queryAudit({ ...query, limit: 100 })).rows.map((row) => `${row.crmId}:${row.action}`);

        expect(await find({ connection })).toEqual([
          'null:rejected',
          'c1:updated',
          'c2:failed',
          'c1:created',
        ]);
        expect(await find({ connection, crmId: 'c1' })).toEqual(['c1:updated', 'c1:created']);
        expect(await find({ sahutId: s2 })).toEqual(['c2:failed']);
        expect(await find({ runId: r2 })).toEqual(['null:rejected', 'c1:updated']);
        expect(await find({ connection, action: 'failed' })).toEqual(['c2:failed']);
        expect(await find({ runId: r1, crmId: 'c1' })).toHaveLength(2);
        expect(await find({ runId: r1, crmId: 'c1', connection })).toEqual(['c1:created']);
        expect(await find({ sahutId: s1, action: 'created' })).toEqual(['c1:created']);
        expect(await find({ connection, action: 'unchanged' })).toEqual([]);
      });

      it('filters by time: since is inclusive, until exclusive', async () => {
        const connection = unique('conn');
        await store.appendAudit([
          makeEntry({ connection, crmId: 'early-1' }),
          makeEntry({ connection, crmId: 'early-2' }),
        ]);
        const early = (await store.queryAudit({ connection, limit: 10 })).rows[0]!.at;
        await clockPast(early);
        await store.appendAudit([makeEntry({ connection, crmId: 'late' })]);
        const late = (await store.queryAudit({ connection, crmId: 'late', limit: 10 })).rows[0]!.at;
        expect(late.getTime()).toBeGreaterThan(early.getTime());
        const crmIds = async (range: Pick<AuditQuery, 'since' | 'until'>) =>
          (await store.queryAudit({ connection, ...range, limit: 10 })).rows.map((row) => row.crmId);

        expect(await crmIds({ since: late })).toEqual(['late']);
        expect(await crmIds({ until: late })).toEqual(['early-2', 'early-1']);
        expect(await crmIds({ since: early, until: late })).toEqual(['early-2', 'early-1']);
        expect(await crmIds({ since: early })).toEqual(['late', 'early-2', 'early-1']);
        expect(await crmIds({ since: new Date(late.getTime() + 60_000) })).toEqual([]);
      });

      it('pages through 1,000 rows by cursor with no gaps or repeats', async () => {
        const connection = unique('conn');
        const entries = Array.from({ length: 1000 }, (_, i) =>
          makeEntry({ connection, crmId: `crm-${i}`, action: i % 2 ? 'updated' : 'unchanged' }),
        );
        await store.appendAudit(entries);
        const all = (await store.queryAudit({ connection, limit: 1000 })).rows.map((row) => row.id);
        expect(all).toHaveLength(1000);

        const pages = await collectPages(store, { connection, limit: 37 });
        expect(pages).toHaveLength(28);
        expect(pages.slice(0, -1).every((page) => page.length === 37)).toBe(true);
        expect(pages.at(-1)).toHaveLength(1000 - 27 * 37);
        const ids = pages.flat().map((row) => row.id);
        expect(ids).toEqual(all);
        expect(new Set(ids).size).toBe(1000);
        expect(isStrictlyDescending(ids.map(BigInt))).toBe(true);

        const updated = (await collectPages(store, { connection, action: 'updated', limit: 37 })).flat();
        expect(updated).toHaveLength(500);
        expect(new Set(updated.map((row) => row.id)).size).toBe(500);
        expect(updated.every((row) => row.action === 'updated')).toBe(true);
      });

      it('rejects a malformed cursor or page size', async () => {
        for (const query of [
          { limit: 0 },
          { limit: 1001 },
          { limit: 2.5 },
          { limit: 10, cursor: 'abc' },
          { limit: 10, cursor: '1 or 1=1' },
          { limit: 10, cursor: '-5' },
        ]) {
          await expect(store.queryAudit(query), JSON.stringify(query)).rejects.toBeInstanceOf(
            StoreArgumentError,
          );
        }
      });
    });

    describe('runs', () => {
      it("counts each record once, by its latest audit row in the run, and sums the run's total", async () => {
        const connection = unique('conn');
        const runId = unique('run');
        await store.startRun({ id: runId, connection, direction: 'sahut-to-crm', dryRun: true });
        await store.addRunTotal(runId, 5);
        await store.addRunTotal(runId, 3);
        await store.appendAudit([
          makeEntry({ runId, connection, crmId: 'c1', action: 'failed', attempt: 1 }),
          makeEntry({ runId, connection, crmId: 'c2', action: 'failed', attempt: 1 }),
          makeEntry({ runId, connection, crmId: 'c3', action: 'created' }),
          makeEntry({ runId, connection, crmId: 'c4', action: 'updated', attempt: 1 }),
          makeEntry({ runId, connection, crmId: 'c5', action: 'failed', attempt: 1 }),
          makeEntry({ runId, connection, crmId: 'c5', action: 'unchanged', attempt: 2 }),
          makeEntry({ runId, connection, crmId: null, action: 'rejected' }),
          makeEntry({ runId, connection, crmId: null, action: 'rejected' }),
        ]);
        await store.appendAudit([
          makeEntry({ runId, connection, crmId: 'c1', action: 'updated', attempt: 2 }),
          makeEntry({ runId, connection, crmId: 'c4', action: 'failed', attempt: 2 }),
        ]);
        // The same record in another run must not change this run's counts.
        await store.appendAudit([
          makeEntry({ runId: unique('run'), connection, crmId: 'c2', action: 'created' }),
        ]);

        const run = await store.getRun(runId);
        expect(run).toEqual({
          id: runId,
          connection,
          direction: 'sahut-to-crm',
          dryRun: true,
          jobId: null,
          status: 'running',
          note: null,
          match: null,
          callsSaved: null,
          startedAt: expect.any(Date),
          finishedAt: null,
          total: 8,
          counts: { updated: 1, failed: 2, created: 1, unchanged: 1, rejected: 2 },
        });

        // A retried run job starting the same run again keeps it as it was.
        await store.startRun({ id: runId, connection, direction: 'sahut-to-crm', dryRun: false });
        await store.finishRun(runId, 'succeeded');
        const finished = await store.getRun(runId);
        expect(finished).toMatchObject({ status: 'succeeded', total: 8, dryRun: true });
        expect(finished?.finishedAt).toBeInstanceOf(Date);
        expect(finished!.finishedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
      });

      it('reports unknown runs', async () => {
        expect(await store.getRun(unique('missing'))).toBeNull();
        await expect(store.addRunTotal(unique('missing'), 1)).rejects.toBeInstanceOf(RunNotFoundError);
        await expect(store.finishRun(unique('missing'), 'failed')).rejects.toBeInstanceOf(RunNotFoundError);
      });

      it('lists runs newest first, optionally for one connection', async () => {
        const connection = unique('conn');
        // Started in this order; the ids sort differently so id order cannot pass for start order.
        const ids = ['zz', 'aa', 'mm'].map((prefix) => `${prefix}-${unique('run')}`);
        for (const id of ids)
          await store.startRun({ id, connection, direction: 'crm-to-sahut', dryRun: false });
        await store.startRun({
          id: unique('run'),
          connection: unique('other'),
          direction: 'crm-to-sahut',
          dryRun: false,
        });
        await store.appendAudit([makeEntry({ runId: ids[1]!, connection, crmId: 'c1', action: 'created' })]);
        const newestFirst = [...ids].reverse();

        const listed = await store.listRuns({ connection, limit: 10 });
        expect(listed.map((run) => run.id)).toEqual(newestFirst);
        expect(listed.map((run) => run.counts)).toEqual([{}, { created: 1 }, {}]);
        expect((await store.listRuns({ connection, limit: 2 })).map((run) => run.id)).toEqual(
          newestFirst.slice(0, 2),
        );
        const everyConnection = (await store.listRuns({ limit: 1000 })).map((run) => run.id);
        expect(everyConnection.filter((id) => ids.includes(id))).toEqual(newestFirst);
        expect(everyConnection.length).toBeGreaterThan(ids.length);
      });
    });

    describe('the books of a run', () => {
      it('reads each record once per run, and names those without an outcome', async () => {
        const connection = unique('conn');
        const runId = unique('run');
        await store.startRun({ id: runId, connection, direction: 'crm-to-sahut', dryRun: false });
        const first = await store.addRunRecords(runId, 0, ['a', 'b', 'b', 'c']);
        expect({ ...first, fresh: first.fresh.sort() }).toEqual({ fresh: ['a', 'b', 'c'], added: 3 });
        expect(await store.addRunRecords(runId, 1, ['c', 'd'])).toEqual({ fresh: ['d'], added: 1 });
        // The same window read again (a retried run job) hands its records out again, uncounted.
        expect(await store.addRunRecords(runId, 0, ['a', 'd'])).toEqual({ fresh: ['a'], added: 0 });
        expect(await store.addRunRecords(unique('run'), 0, ['a'])).toEqual({ fresh: ['a'], added: 1 });
        // The run's total counts each record once, as it is noted.
        expect((await store.getRun(runId))?.total).toBe(4);
        await store.appendAudit([
          makeEntry({ runId, connection, crmId: 'a', action: 'created' }),
          makeEntry({ runId, connection, crmId: 'b', action: 'retrying' }),
          makeEntry({ runId, connection, crmId: 'd', action: 'failed', attempt: 1 }),
          makeEntry({ runId: unique('run'), connection, crmId: 'c', action: 'created' }),
        ]);
        expect(await store.unaccounted(runId)).toEqual(['b', 'c']);
        expect(await store.unaccounted(runId, 0)).toEqual(['b', 'c']);
        expect(await store.unaccounted(runId, 1)).toEqual([]);
        await store.appendAudit([
          makeEntry({ runId, connection, crmId: 'b', action: 'updated', attempt: 2 }),
        ]);
        expect(await store.unaccounted(runId)).toEqual(['c']);
        await store.dropRunRecords(runId);
        expect(await store.unaccounted(runId)).toEqual([]);
      });

      it('carries failed records to the next runs, up to a limit, and lets settled ones go', async () => {
        const connection = unique('conn');
        const carry = { connection, direction: 'crm-to-sahut' as const, maxCarries: 2 };
        const fail = async (runId: string, outcomes: Record<string, AuditEntry['action']>) => {
          await store.addRunRecords(runId, 0, Object.keys(outcomes));
          await store.appendAudit(
            Object.entries(outcomes).map(([crmId, action]) =>
              makeEntry({ runId, connection, crmId, action }),
            ),
          );
          await store.settleRunRecords(runId, 0, carry);
        };
        const carried = async () =>
          (await store.listCarried(connection, 'crm-to-sahut', null, 100)).map(
            (c) => `${c.crmId}:${c.failures}`,
          );

        const first = unique('run');
        await fail(first, { a: 'failed', b: 'failed', c: 'created' });
        // Settling the same window again changes nothing.
        await store.settleRunRecords(first, 0, carry);
        expect(await carried()).toEqual(['a:1', 'b:1']);
        expect(await store.listCarried(connection, 'sahut-to-crm', null, 100)).toEqual([]);

        await fail(unique('run'), { a: 'failed', b: 'updated' });
        expect(await carried()).toEqual(['a:2']);
        const page = await store.listCarried(connection, 'crm-to-sahut', null, 1);
        expect(page.map((c) => c.crmId)).toEqual(['a']);
        expect(await store.listCarried(connection, 'crm-to-sahut', 'a', 10)).toEqual([]);

        // Past the limit the record is given up on (it stays failed in the audit).
        await fail(unique('run'), { a: 'failed' });
        expect(await carried()).toEqual([]);
      });

      it('keeps the job id, a note and the detail of audit rows', async () => {
        const connection = unique('conn');
        const runId = unique('run');
        await store.startRun({
          id: runId,
          connection,
          direction: 'crm-to-sahut',
          dryRun: false,
          jobId: '42',
        });
        const detail = { conflicts: [{ field: 'company', crm: 'A', sahut: 'B', resolution: 'crm' }] };
        await store.appendAudit([makeEntry({ runId, connection, action: 'conflict', detail })]);
        expect((await store.queryAudit({ runId, limit: 5 })).rows[0]?.detail).toEqual(detail);
        await store.finishRun(runId, 'failed', 'records without an outcome: c1');
        expect(await store.getRun(runId)).toMatchObject({
          jobId: '42',
          status: 'failed',
          note: 'records without an outcome: c1',
          counts: { conflict: 1 },
        });
      });

      it('lists runs by direction and status', async () => {
        const connection = unique('conn');
        const [a, b, c] = [unique('run'), unique('run'), unique('run')];
        await store.startRun({ id: a, connection, direction: 'crm-to-sahut', dryRun: false });
        await store.startRun({ id: b, connection, direction: 'sahut-to-crm', dryRun: false });
        await store.startRun({ id: c, connection, direction: 'crm-to-sahut', dryRun: false });
        await store.finishRun(c, 'succeeded');
        const ids = async (filter: Omit<RunFilter, 'limit'>) =>
          (await store.listRuns({ connection, limit: 10, ...filter })).map((r) => r.id);
        expect(await ids({ direction: 'crm-to-sahut', status: 'running' })).toEqual([a]);
        expect(await ids({ status: 'running' })).toEqual([b, a]);
        expect(await ids({ direction: 'crm-to-sahut' })).toEqual([c, a]);
      });
    });

    describe('identity claims', () => {
      it('claims all keys or none, lets an expired claim go, and shows the links under the claim', async () => {
        const connection = unique('conn');
        const base = { connection, ttlMs: 60_000, crmId: 'crm-1', phone: '+6281100', email: 'a@example.com' };
        const first = { ...base, keys: ['k-phone', 'k-email'], token: 't1' };
        expect(await store.claimIdentities(first)).toEqual({ claimed: true, stale: false, links: [] });
        // A second worker wanting one of the keys gets nothing, not half a claim.
        const second = { ...base, keys: ['k-other', 'k-email'], token: 't2' };
        expect((await store.claimIdentities(second)).claimed).toBe(false);
        expect((await store.claimIdentities({ ...second, keys: ['k-other'] })).claimed).toBe(true);
        await store.releaseIdentities({ ...second, keys: ['k-other'] });

        await store.upsertLink(makeLink(connection, 'crm-9', { phone: '+6281100' }));
        await store.releaseIdentities(first);
        const again = await store.claimIdentities(second);
        expect(again.claimed).toBe(true);
        expect(again.links.map((l) => l.crmId)).toEqual(['crm-9']);

        // A claim whose holder died lapses: a short one is taken over once expired.
        const lapsing = { ...base, keys: ['k-lapse'], token: 't3', ttlMs: 1 };
        expect((await store.claimIdentities(lapsing)).claimed).toBe(true);
        await clockPast(new Date(Date.now() + 5));
        // …and says so: the dead holder may have created the contact.
        expect(await store.claimIdentities({ ...lapsing, token: 't4', ttlMs: 60_000 })).toMatchObject({
          claimed: true,
          stale: true,
        });
        await store.renewIdentities({ ...lapsing, token: 't4', ttlMs: 60_000 });
        expect((await store.claimIdentities({ ...lapsing, token: 't5' })).claimed).toBe(false);
      });

      it('claims a batch of records at once: each all keys or none, links read under each claim, stale ones said', async () => {
        const connection = unique('conn');
        const phone = `+62812${Math.floor(Math.random() * 1e7)}`;
        await store.upsertLink(makeLink(connection, 'crm-holder', { phone }));
        await store.upsertLink(makeLink(connection, 'crm-own'));
        const [kBusy, kLapse, kFree] = [unique('k-busy'), unique('k-lapse'), unique('k-free')];
        // Another worker holds kBusy; a dead one held kLapse.
        await store.claimIdentities({
          connection,
          keys: [kBusy],
          token: 'other',
          ttlMs: 60_000,
          crmId: 'x',
          phone: null,
          email: null,
        });
        await store.claimIdentities({
          connection,
          keys: [kLapse],
          token: 'dead',
          ttlMs: 1,
          crmId: 'y',
          phone: null,
          email: null,
        });
        await clockPast(new Date(Date.now() + 5));
        const claim = (crmId: string, keys: string[], extra: { phone?: string; email?: string } = {}) => ({
          crmId,
          keys,
          phone: extra.phone ?? null,
          email: extra.email ?? null,
        });
        const batch = {
          connection,
          token: 'batch-1',
          ttlMs: 60_000,
          claims: [
            claim('crm-a', [unique('k-a'), kBusy]), // half busy: gets nothing
            claim('crm-b', [unique('k-b')], { phone }), // sees the link holding its phone
            claim('crm-own', [kLapse]), // takes over the dead holder's key: stale; sees its own link
            claim('crm-none', []), // no identity to claim: claimed, nothing to read
            claim('crm-c', [kFree]),
          ],
        };
        const results = await store.claimIdentitiesBatch(batch);
        expect(results.map((r) => r.claimed)).toEqual([false, true, true, true, true]);
        expect(results.map((r) => r.stale)).toEqual([false, false, true, false, false]);
        expect(results.map((r) => r.links.map((l) => l.crmId))).toEqual([
          [],
          ['crm-holder'],
          ['crm-own'],
          [],
          [],
        ]);
        // The half-claimed record left none of its keys taken: its other key is free for another.
        const aKey = batch.claims[0]?.keys[0] as string;
        expect(
          (await store.claimIdentities({ ...claim('z', [aKey]), connection, token: 'z', ttlMs: 60_000 }))
            .claimed,
        ).toBe(true);
        // Taken under one token: released together, then free for anyone.
        expect(
          (await store.claimIdentities({ ...claim('w', [kFree]), connection, token: 'w', ttlMs: 60_000 }))
            .claimed,
        ).toBe(false);
        await store.releaseIdentities({
          connection,
          token: 'batch-1',
          keys: batch.claims.flatMap((c) => c.keys),
        });
        expect(
          (
            await store.claimIdentities({
              ...claim('w', [kFree, kLapse]),
              connection,
              token: 'w',
              ttlMs: 60_000,
            })
          ).claimed,
        ).toBe(true);
        // Two claims of one batch may not share a key.
        await expect(
          store.claimIdentitiesBatch({ ...batch, claims: [claim('p', ['k-same']), claim('q', ['k-same'])] }),
        ).rejects.toBeInstanceOf(StoreArgumentError);
      });
    });

    describe('the writes of a record job', () => {
      it('upserts its links (the last of a record winning) and indexes its created contacts, in one go', async () => {
        const connection = unique('conn');
        const sahutId = unique('ct');
        const phone = `+62813${Math.floor(Math.random() * 1e7)}`;
        await store.upsertLink(makeLink(connection, 'crm-old', { crmHash: 'before' }));
        const seenAt = new Date();
        await store.saveRecordWrites({
          links: [
            makeLink(connection, 'crm-old', { crmHash: 'first' }),
            makeLink(connection, 'crm-new', {
              sahutId,
              phone,
              writtenBy: { runId: 'r1', action: 'created' },
            }),
            makeLink(connection, 'crm-old', { crmHash: 'after' }),
          ],
          indexed: [{ sahutId, phone, email: null, contact: { id: sahutId, phone } }],
          seenAt,
        });
        const links = await store.getLinks(connection, ['crm-old', 'crm-new']);
        expect(links.get('crm-old')?.crmHash).toBe('after');
        expect(links.get('crm-new')).toEqual(
          makeLink(connection, 'crm-new', { sahutId, phone, writtenBy: { runId: 'r1', action: 'created' } }),
        );
        expect(await store.findIndexed({ phone, email: null })).toEqual([{ id: sahutId, phone }]);
        await store.saveRecordWrites({ links: [], indexed: [], seenAt });
      });
    });

    describe('the scan index', () => {
      const contact = (id: string, phone: string | null, email: string | null) => ({
        sahutId: id,
        phone,
        email,
        contact: { id, name: `Name ${id}`, phone, email },
      });

      it('finds contacts by phone or email, reports each shared identity once, and forgets what a scan did not see', async () => {
        const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => unique(`ct-${x}`)) as [
          string,
          string,
          string,
          string,
        ];
        const phone = `+62811${Math.floor(Math.random() * 1e7)}`;
        const email = `${unique('mail')}@example.com`;
        const conn = unique('conn');
        const before = new Date(Date.now() - 60_000);
        expect(
          await store.indexContacts(conn, [contact(a, phone, null), contact(d, null, null)], before),
        ).toEqual([]);
        const scan = unique('scan');
        const started = new Date();
        await store.startScan(scan, started);
        // b shares a's phone: one new pair; c shares b's email: another; repeating them reports nothing.
        const pairs = await store.indexContacts(
          conn,
          [contact(a, phone, null), contact(b, phone, email)],
          started,
        );
        const pairOf = (x: string, y: string, by: string) => {
          const [first, second] = [x, y].sort();
          return { a: first, b: second, by };
        };
        expect(pairs).toEqual([pairOf(a, b, 'phone')]);
        expect(await store.indexContacts(conn, [contact(c, null, email)], started)).toEqual([
          pairOf(b, c, 'email'),
        ]);
        expect(await store.indexContacts(conn, [contact(b, phone, email)], started)).toEqual([]);
        // Another connection hears of the same pair once too.
        expect(await store.indexContacts(unique('conn'), [contact(c, null, email)], started)).toHaveLength(1);

        const found = await store.findIndexed({ phone, email: null });
        expect(found.map((x) => (x as { id: string }).id).sort()).toEqual([a, b].sort());
        expect((await store.findIndexed({ phone: null, email })).length).toBe(2);
        expect(await store.findIndexed({ phone: null, email: null })).toEqual([]);
        // Several identities in one query, one list each, in their order.
        const batch = await store.findIndexedBatch([
          { phone: null, email },
          { phone: null, email: null },
          { phone, email: null },
        ]);
        expect(batch.map((list) => list.map((x) => (x as { id: string }).id).sort())).toEqual([
          [b, c].sort(),
          [],
          [a, b].sort(),
        ]);

        await store.finishScan(scan, { contacts: 3, pages: 1 }, new Date());
        // d was indexed before the scan began and the scan did not see it: deleted in Sahut.
        expect(await store.findIndexed({ phone: null, email })).toHaveLength(2);
        expect((await store.lastScan())?.id).toBe(scan);
        expect(await store.lastScan()).toMatchObject({ contacts: 3, pages: 1, finishedAt: expect.any(Date) });
      });

      it('notes how a run matched and what it saved', async () => {
        const runId = unique('run');
        await store.startRun({
          id: runId,
          connection: unique('conn'),
          direction: 'crm-to-sahut',
          dryRun: false,
        });
        await store.setRunMatch(runId, 'scan', 3950);
        expect(await store.getRun(runId)).toMatchObject({ match: 'scan', callsSaved: 3950 });
      });
    });

    describe('cursors', () => {
      it('remembers when a connection was last read in full', async () => {
        const connection = unique('conn');
        expect(await store.lastFullRead(connection, 'crm-to-sahut')).toBeNull();
        const at = new Date('2026-01-02T03:04:05.678Z');
        await store.markFullRead(connection, 'crm-to-sahut', at);
        await store.markFullRead(connection, 'crm-to-sahut', new Date(at.getTime() + 1000));
        expect((await store.lastFullRead(connection, 'crm-to-sahut'))?.getTime()).toBe(at.getTime() + 1000);
        expect(await store.lastFullRead(connection, 'sahut-to-crm')).toBeNull();
      });

      it('keeps one cursor per connection and direction, overwriting it on set', async () => {
        const [a, b] = [unique('conn'), unique('conn')];
        expect(await store.getCursor(a, 'crm-to-sahut')).toBeNull();

        await store.setCursor(a, 'crm-to-sahut', '2025-01-01T00:00:00Z|crm-10');
        await store.setCursor(a, 'sahut-to-crm', 'page-3');
        await store.setCursor(b, 'crm-to-sahut', 'other');
        await store.setCursor(a, 'crm-to-sahut', '2025-01-02T00:00:00Z|crm-99');

        expect(await store.getCursor(a, 'crm-to-sahut')).toBe('2025-01-02T00:00:00Z|crm-99');
        expect(await store.getCursor(a, 'sahut-to-crm')).toBe('page-3');
        expect(await store.getCursor(b, 'crm-to-sahut')).toBe('other');
        expect(await store.getCursor(b, 'sahut-to-crm')).toBeNull();
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open and rejects queries once closed', async () => {
        const other = await harness.open('main');
        await expect(other.ping()).resolves.toBeUndefined();
        await other.close();
        await other.close();
        await expect(other.ping()).rejects.toThrow();
        // An empty batch is answered without touching the (now closed) database.
        await expect(other.getLinksBySahutIds('conn', [])).resolves.toEqual([]);
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}

function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function makeLink(connection: string, crmId: string, overrides: Partial<Link> = {}): Link {
  return {
    connection,
    crmId,
    sahutId: `sahut-${crmId}`,
    phone: null,
    email: null,
    base: { name: `Name of ${crmId}`, tags: [] },
    crmHash: `crm-hash-${crmId}`,
    sahutHash: `sahut-hash-${crmId}`,
    syncedAt: new Date('2025-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

function makeEntry(overrides: Partial<AuditEntry> & Pick<AuditEntry, 'connection'>): AuditEntry {
  return {
    runId: 'run-default',
    jobId: 'job-1',
    direction: 'crm-to-sahut',
    crmId: 'crm-1',
    sahutId: null,
    action: 'unchanged',
    diff: null,
    error: null,
    attempt: 1,
    ...overrides,
  };
}

function entryOf(row: AuditRow): AuditEntry {
  const { id: _id, at: _at, detail, ...entry } = row;
  return detail === null ? entry : { ...entry, detail };
}

async function collectPages(store: Store, query: AuditQuery): Promise<AuditRow[][]> {
  const pages: AuditRow[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.queryAudit({ ...query, cursor });
    pages.push(page.rows);
    if (page.nextCursor === null) return pages;
    expect(page.nextCursor).toBe(page.rows.at(-1)?.id);
    cursor = page.nextCursor;
  }
}

function isStrictlyDescending(values: readonly bigint[]): boolean {
  return values.every((value, i) => i === 0 || value < values[i - 1]!);
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Waits (polling, bounded) until the wall clock is past `instant` by more than a millisecond. */
async function clockPast(instant: Date): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() <= instant.getTime() + 1) {
    if (Date.now() > deadline) throw new Error(`clock did not pass ${instant.toISOString()}`);
    await delay(1);
  }
}
