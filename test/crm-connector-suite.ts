import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CrmCapabilities,
  type CrmConnector,
  type CrmItem,
  type CrmPage,
  isCrmError,
  type StaleRecordError,
} from '../src/crm/index.ts';

export interface SeedRecord {
  id: string;
  name: string;
  email: string;
}

export interface ConnectorFixture {
  connector: CrmConnector;
  cleanup(): Promise<void>;
  /**
   * Timestamp cursors only: adds a row stamped `msBeforeNewest` before the
   * newest row, as a transaction that stamped it earlier and commits now would.
   */
  insertLate?(record: SeedRecord, msBeforeNewest: number): Promise<void>;
}

/** Builds a connector holding exactly `records` (fields `name`, `email`), in any order. */
export type ConnectorFactory = (records: readonly SeedRecord[]) => Promise<ConnectorFixture>;

/** A write-back as the engine makes it: against the record as it is now. */
export async function writeBack(connector: CrmConnector, id: string, fields: Record<string, unknown>) {
  const current = (await connector.get(id)) ?? { id, data: {} };
  return connector.update!(id, fields, current);
}

export async function readAll(
  connector: CrmConnector,
  cursor: string | null,
  pageSize: number,
  overlapMs?: number,
): Promise<CrmPage[]> {
  const pages: CrmPage[] = [];
  for await (const page of connector.read(cursor, { pageSize, overlapMs })) pages.push(page);
  return pages;
}

/** Only the first page, leaving the rest unread (the connector must stop cleanly). */
export async function firstPage(
  connector: CrmConnector,
  cursor: string | null,
  pageSize: number,
  overlapMs?: number,
) {
  for await (const page of connector.read(cursor, { pageSize, overlapMs })) return page;
  return undefined;
}

/**
 * One page per read, each resuming from the previous page's cursor, at most `reads` times
 * (bounded: a cursor that lost precision, or a reader that went back again on every resume,
 * would serve the same rows for ever). Returns what was read and the last cursor.
 */
export async function readPageByPage(
  connector: CrmConnector,
  from: string | null,
  pageSize: number,
  reads: number,
  overlapMs?: number,
): Promise<{ items: CrmItem[]; cursor: string | null }> {
  const items: CrmItem[] = [];
  let cursor = from;
  for (let read = 0; read < reads; read++) {
    const page = await firstPage(connector, cursor, pageSize, overlapMs);
    if (!page) break;
    items.push(...page.items);
    cursor = page.cursor;
  }
  return { items, cursor };
}

/** Reads to the end, lets `change` happen, then reads on from the last cursor: what the change made visible. */
export async function itemsAfterChange(
  connector: CrmConnector,
  pageSize: number,
  change: () => Promise<unknown>,
  overlapMs?: number,
): Promise<CrmItem[]> {
  const last = (await readAll(connector, null, pageSize)).at(-1)!.cursor;
  await change();
  return (await readAll(connector, last, pageSize, overlapMs)).flatMap((p) => p.items);
}

export const idsOf = (items: readonly CrmItem[]) =>
  items.map((item) => (item.ok ? item.record.id : `!${item.rejected.ref}`));

/** The ids of the records read, rejected rows left out. */
export const okIds = (items: readonly CrmItem[]) =>
  items.filter((i) => i.ok).map((i) => (i.ok ? i.record.id : ''));

export async function catchError(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/**
 * The contract every connector must meet (run it against any new one):
 * stable order, each record exactly once, bounded pages, exact resume from
 * any page cursor, `get`, refusal of foreign cursors, and, when the
 * capabilities say so, write-back and incremental visibility of changes.
 * `timestampCursor`: the fixture has `insertLate`, and `overlapMs` must find
 * late commits; otherwise `overlapMs` must change nothing.
 */
export function registerConnectorTests(
  name: string,
  factory: ConnectorFactory,
  capabilities: CrmCapabilities,
  { timestampCursor = false }: { timestampCursor?: boolean } = {},
): void {
  describe(`${name}: connector contract`, () => {
    const seed: SeedRecord[] = Array.from({ length: 23 }, (_, i) => ({
      id: `c${String(i).padStart(3, '0')}`,
      name: `Person ${i}`,
      email: `p${i}@example.com`,
    }));
    let fixture: ConnectorFixture;
    let connector: CrmConnector;

    beforeEach(async () => {
      fixture = await factory(seed);
      connector = fixture.connector;
    });
    afterEach(async () => {
      await connector.close();
      await fixture.cleanup();
    });

    it('declares its capabilities', () => {
      expect(connector.capabilities).toEqual(capabilities);
    });

    it('returns every record exactly once with its data, in pages of at most pageSize', async () => {
      const pages = await readAll(connector, null, 5);
      expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5, 5, 3]);
      const records = pages.flatMap((p) => p.items).map((item) => (item.ok ? item.record : null));
      expect(records.map((r) => r?.id).sort()).toEqual(seed.map((s) => s.id));
      for (const s of seed) {
        expect(records.find((r) => r?.id === s.id)?.data).toMatchObject({ name: s.name, email: s.email });
      }
    });

    it('reads in the same order every time, whatever the page size', async () => {
      const first = idsOf((await readAll(connector, null, 4)).flatMap((p) => p.items));
      const second = idsOf((await readAll(connector, null, 7)).flatMap((p) => p.items));
      expect(second).toEqual(first);
    });

    it('resumes from any page cursor with exactly the records after it', async () => {
      const pages = await readAll(connector, null, 4);
      for (const [i, page] of pages.entries()) {
        const rest = await readAll(connector, page.cursor, 4);
        expect(idsOf(rest.flatMap((p) => p.items))).toEqual(
          idsOf(pages.slice(i + 1).flatMap((p) => p.items)),
        );
      }
    });

    it('yields no page after the last cursor while nothing changed', async () => {
      const pages = await readAll(connector, null, 10);
      expect(await readAll(connector, pages.at(-1)!.cursor, 10)).toEqual([]);
    });

    it('gets one record by id, and null for an unknown id', async () => {
      const record = await connector.get('c007');
      expect(record?.id).toBe('c007');
      expect(record?.data).toMatchObject({ name: 'Person 7', email: 'p7@example.com' });
      expect(await connector.get('nope')).toBeNull();
    });

    it('refuses a corrupt or foreign cursor with CURSOR_INVALID', async () => {
      const foreign = Buffer.from(JSON.stringify({ kind: 'elsewhere', at: 3 })).toString('base64url');
      for (const cursor of ['not a cursor', foreign]) {
        const err = await catchError(() => readAll(connector, cursor, 5));
        expect(isCrmError(err, 'CURSOR_INVALID'), String(err)).toBe(true);
      }
    });

    it.runIf(capabilities.update)(
      'writes a field back, visible to get, and returns the record as written',
      async () => {
        const written = await writeBack(connector, 'c004', { email: 'new4@example.com' });
        expect(written.data).toMatchObject({ name: 'Person 4', email: 'new4@example.com' });
        expect((await connector.get('c004'))?.data).toEqual(written.data);
      },
    );

    it.runIf(capabilities.update)(
      'writes back only while the record holds what was read: else STALE with the record as it is, nothing written',
      async () => {
        const read = (await connector.get('c005'))!;
        await writeBack(connector, 'c005', { name: 'Edited meanwhile' });
        const err = await catchError(() => connector.update!('c005', { email: 'merged@example.com' }, read));
        expect(isCrmError(err, 'STALE'), String(err)).toBe(true);
        expect((err as StaleRecordError).current.data).toMatchObject({
          name: 'Edited meanwhile',
          email: 'p5@example.com',
        });
        expect((await connector.get('c005'))?.data).toMatchObject({
          name: 'Edited meanwhile',
          email: 'p5@example.com',
        });
        // Merged again from the record as it is now, the write applies.
        const again = await connector.update!(
          'c005',
          { email: 'merged@example.com' },
          (err as StaleRecordError).current,
        );
        expect(again.data).toMatchObject({ name: 'Edited meanwhile', email: 'merged@example.com' });
      },
    );

    it.runIf(capabilities.update)('refuses to update an unknown id with RECORD_NOT_FOUND', async () => {
      const err = await catchError(() =>
        connector.update!('nope', { email: 'x@example.com' }, { id: 'nope', data: {} }),
      );
      expect(isCrmError(err, 'RECORD_NOT_FOUND'), String(err)).toBe(true);
    });

    it.runIf(capabilities.update && capabilities.incremental)(
      'after the last cursor, yields only the record changed since',
      async () => {
        const last = (await readAll(connector, null, 10)).at(-1)!.cursor;
        await writeBack(connector, 'c011', { name: 'Renamed' });
        const items = (await readAll(connector, last, 10)).flatMap((p) => p.items);
        expect(idsOf(items)).toEqual(['c011']);
        expect(items[0]?.ok && items[0].record.data).toMatchObject({ name: 'Renamed' });
      },
    );

    it.runIf(capabilities.create)('creates a record and returns its new id', async () => {
      const id = await connector.create!({ name: 'Newcomer', email: 'new@example.com' });
      expect(seed.map((s) => s.id)).not.toContain(id);
      expect((await connector.get(id))?.data).toMatchObject({ name: 'Newcomer', email: 'new@example.com' });
      const all = (await readAll(connector, null, 50)).flatMap((p) => p.items);
      expect(idsOf(all)).toContain(id);
      expect(all).toHaveLength(seed.length + 1);
    });

    it.runIf(!timestampCursor)('ignores overlapMs: nothing is read again after the last cursor', async () => {
      const pages = await readAll(connector, null, 10);
      expect(await readAll(connector, pages.at(-1)!.cursor, 10, 24 * 3600_000)).toEqual([]);
    });

    it.runIf(timestampCursor)(
      'sees a row committed late behind the cursor with overlapMs, and not without',
      async () => {
        const last = (await readAll(connector, null, 10)).at(-1)!.cursor;
        await fixture.insertLate!({ id: 'late', name: 'Late', email: 'late@example.com' }, 1500);
        expect(await readAll(connector, last, 10)).toEqual([]);
        const again = (await readAll(connector, last, 10, 3000)).flatMap((p) => p.items);
        expect(idsOf(again)).toContain('late');
        // Re-read rows are the ones just behind the cursor, never the whole table.
        expect(again.length).toBeLessThan(seed.length);
        expect(new Set(idsOf(again)).size).toBe(again.length);
      },
    );

    it.runIf(timestampCursor)(
      'resumes inside an overlap without going back again, and its cursor never moves backwards',
      async () => {
        const last = (await readAll(connector, null, 10)).at(-1)!.cursor;
        await fixture.insertLate!({ id: 'late', name: 'Late', email: 'late@example.com' }, 1500);
        const whole = idsOf((await readAll(connector, last, 50, 3000)).flatMap((p) => p.items));
        // One page at a time, each read resuming from the previous page's cursor with the same overlap.
        const { items, cursor } = await readPageByPage(connector, last, 2, 3 * seed.length, 3000);
        const ids = idsOf(items);
        expect(ids).toEqual(whole);
        expect(await readAll(connector, cursor, 10)).toEqual([]);
        if (connector.update) {
          await writeBack(connector, 'c002', { name: 'Renamed' });
          expect(idsOf((await readAll(connector, cursor, 10)).flatMap((p) => p.items))).toEqual(['c002']);
        }
      },
    );
  });
}
