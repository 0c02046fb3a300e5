import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AttentionQuery, AuditEntry, DecidedDetail, Store } from '../src/store/index.ts';
import { StoreArgumentError } from '../src/store/index.ts';

/** Raw SQL on one of the suite's databases, for what the Store interface cannot do (undo a migration). */
export type RawSql = (database: string, statement: string) => Promise<void>;

const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

function row(connection: string, over: Partial<AuditEntry>): AuditEntry {
  return {
    runId: 'run-a',
    jobId: 'job-1',
    connection,
    direction: 'crm-to-sahut',
    crmId: 'crm-1',
    sahutId: null,
    action: 'unchanged',
    diff: null,
    error: null,
    attempt: 1,
    ...over,
  };
}

function decided(connection: string, detail: Omit<DecidedDetail, 'by' | 'via'>, crmId: string | null = null) {
  return row(connection, {
    runId: 'act-1',
    crmId,
    action: 'decided',
    detail: { by: 'admin', via: 'api', ...detail },
  });
}

/**
 * The attention listing and decisions, on one backend: kept by appendAudit
 * (what raises, what settles, acknowledgements, pairs), paged, counted.
 */
export function registerAttentionTests(
  store: () => Store,
  open: (name: string) => Promise<Store>,
  sql: RawSql,
): void {
  const ids = async (query: Omit<AttentionQuery, 'limit'>) =>
    (await store().listAttention({ ...query, limit: 100 })).entries.map((e) => `${e.id}:${e.kind}`);

  describe('attention listing', () => {
    it('lists what needs a person and lets a later sync settle it; unchanged never hides a conflict', async () => {
      const c = unique('conn');
      const conflict = {
        conflicts: [{ field: 'company', base: 'A', crm: 'B', sahut: 'C', resolution: 'crm' }],
      };
      const added = await store().appendAudit([
        row(c, {
          crmId: 'amb',
          action: 'ambiguous',
          error: 'phone matches 2',
          detail: { candidates: ['s1', 's2'] },
        }),
        row(c, { crmId: 'rej', action: 'rejected', error: 'invalid phone "12345"' }),
        row(c, { crmId: 'fail', action: 'failed', error: 'HTTP 503', attempt: 5 }),
        row(c, { crmId: 'con', sahutId: 's9', action: 'conflict', detail: conflict }),
        row(c, { crmId: 'ok', action: 'created', sahutId: 's3' }),
        row(c, { crmId: 'amb', action: 'retrying', error: 'will retry' }),
      ]);
      expect(added.map((a) => `${a.crmId}:${a.kind}`)).toEqual([
        'amb:ambiguous',
        'rej:rejected',
        'fail:failed',
        'con:conflict',
      ]);
      expect(added[0]).toMatchObject({
        connection: c,
        direction: 'crm-to-sahut',
        runId: 'run-a',
        reason: 'phone matches 2',
      });
      expect(await ids({ connection: c })).toEqual([
        'con:conflict',
        'fail:failed',
        'rej:rejected',
        'amb:ambiguous',
      ]);
      const amb = await store().getAttention(c, 'amb');
      expect(amb).toMatchObject({
        kind: 'ambiguous',
        crmId: 'amb',
        detail: { candidates: ['s1', 's2'] },
        times: 1,
      });
      expect(amb?.since).toBeInstanceOf(Date);
      expect((await store().getAttention(c, 'fail'))?.attempt).toBe(5);

      // Hash compares and scans write unchanged rows: of the same direction they settle all but the conflict.
      await store().appendAudit([
        row(c, { crmId: 'con', action: 'unchanged' }),
        row(c, { crmId: 'fail', action: 'unchanged', direction: 'sahut-to-crm' }),
        row(c, { crmId: 'rej', action: 'unchanged' }),
      ]);
      expect(await ids({ connection: c })).toEqual(['con:conflict', 'fail:failed', 'amb:ambiguous']);
      // A sync of the record, in either direction, settles anything.
      expect(
        await store().appendAudit([
          row(c, { crmId: 'con', action: 'updated', direction: 'sahut-to-crm' }),
          row(c, { crmId: 'amb', action: 'linked', sahutId: 's1' }),
          row(c, { crmId: 'fail', action: 'failed', error: 'HTTP 503 again', attempt: 5 }),
        ]),
      ).toEqual([]);
      expect(await ids({ connection: c })).toEqual(['fail:failed']);
      expect(await store().getAttention(c, 'fail')).toMatchObject({ times: 2, error: 'HTTP 503 again' });
      expect(await store().getAttention(c, 'con')).toBeNull();
    });

    it('hides an acknowledged entry until it is reported with another reason, kind or values', async () => {
      const c = unique('conn');
      await store().appendAudit([row(c, { crmId: 'r1', action: 'rejected', error: 'invalid phone "1"' })]);
      await store().appendAudit([decided(c, { action: 'acknowledge', id: 'r1' }, 'r1')]);
      expect(await ids({ connection: c })).toEqual([]);
      expect(await ids({ connection: c, acknowledged: true })).toEqual(['r1:rejected']);
      expect((await store().getAttention(c, 'r1'))?.acknowledged).toMatchObject({ by: 'admin' });
      expect(await store().countAttention()).not.toContainEqual(expect.objectContaining({ connection: c }));

      // Read again as it was (an overlap, a full read): still hidden, and no alert.
      expect(
        await store().appendAudit([row(c, { crmId: 'r1', action: 'rejected', error: 'invalid phone "1"' })]),
      ).toEqual([]);
      expect(await ids({ connection: c })).toEqual([]);
      // Changed in the CRM, still wrong: back, and an alert.
      const back = await store().appendAudit([
        row(c, { crmId: 'r1', action: 'rejected', error: 'invalid phone "2"' }),
      ]);
      expect(back.map((a) => a.crmId)).toEqual(['r1']);
      expect(await ids({ connection: c })).toEqual(['r1:rejected']);
      expect((await store().getAttention(c, 'r1'))?.acknowledged).toBeNull();
    });

    it('marks link, create and retry pending until the run reports; take settles a conflict', async () => {
      const c = unique('conn');
      await store().appendAudit([
        row(c, { crmId: 'a', action: 'ambiguous', detail: { candidates: ['s1', 's2'] } }),
        row(c, { crmId: 'k', action: 'conflict', detail: { conflicts: [] } }),
      ]);
      await store().appendAudit([
        decided(c, { action: 'link', id: 'a', candidate: 's2' }, 'a'),
        decided(c, { action: 'take', id: 'k', field: 'company', side: 'sahut' }, 'k'),
      ]);
      expect((await store().getAttention(c, 'a'))?.pending).toMatchObject({
        action: 'link',
        by: 'admin',
        candidate: 's2',
      });
      expect(await store().getAttention(c, 'k')).toBeNull();
      await store().appendAudit([
        row(c, { crmId: 'a', action: 'ambiguous', detail: { candidates: ['s1', 's2', 's4'] } }),
      ]);
      expect((await store().getAttention(c, 'a'))?.pending).toBeNull();
    });

    it('keys what has no CRM id: pairs of contacts, contacts without a record, unreadable rows', async () => {
      const c = unique('conn');
      const scan = (runId: string, pair: string[]) =>
        row(c, {
          runId,
          direction: 'sahut-to-crm',
          crmId: null,
          action: 'duplicate-suspected',
          detail: { pair, by: 'phone' },
        });
      await store().appendAudit([
        scan('run-s1', ['ct_b', 'ct_a']),
        scan('run-s1', ['ct_a', 'ct_b']),
        row(c, {
          direction: 'sahut-to-crm',
          crmId: null,
          sahutId: 'ct_w',
          action: 'ambiguous',
          detail: { candidates: ['c1', 'c2'] },
        }),
        row(c, { crmId: null, action: 'rejected', error: 'line 7: unterminated quote' }),
      ]);
      const entries = (await store().listAttention({ connection: c, limit: 10 })).entries;
      expect(entries.map((e) => e.id.replace(/^row:\w+$/, 'row:…'))).toEqual([
        'row:…',
        'sahut:ct_w',
        'pair:ct_a:ct_b',
      ]);
      expect(entries[2]).toMatchObject({ times: 2, sahutId: 'ct_a', detail: { pair: ['ct_a', 'ct_b'] } });
      // The contact gets its record: settled by the row that links them.
      await store().appendAudit([
        row(c, { direction: 'sahut-to-crm', crmId: 'c9', sahutId: 'ct_w', action: 'created' }),
      ]);
      expect(await ids({ connection: c, kind: 'ambiguous' })).toEqual([]);

      // A pair leaves when a row says it is resolved, whatever direction noticed it.
      await store().appendAudit([
        row(c, { crmId: null, action: 'unchanged', detail: { pair: ['ct_b', 'ct_a'] } }),
      ]);
      expect(await ids({ connection: c, kind: 'duplicate-suspected' })).toEqual([]);
      expect(await ids({ connection: c })).toHaveLength(1);
    });

    it('pages by cursor, filters by kind and direction, and counts per connection, direction and kind', async () => {
      const c = unique('conn');
      await store().appendAudit(
        Array.from({ length: 25 }, (_, i) =>
          row(c, {
            crmId: `r-${i}`,
            action: i % 5 === 0 ? 'conflict' : 'failed',
            direction: i % 2 ? 'sahut-to-crm' : 'crm-to-sahut',
          }),
        ),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store().listAttention({ connection: c, limit: 7, cursor });
        seen.push(...page.entries.map((e) => e.id));
        if (!page.nextCursor) break;
        expect(page.nextCursor).toBe(page.entries.at(-1)?.auditId);
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r-${24 - i}`));
      expect(await ids({ connection: c, kind: 'conflict', direction: 'crm-to-sahut' })).toEqual([
        'r-20:conflict',
        'r-10:conflict',
        'r-0:conflict',
      ]);
      const counts = (await store().countAttention()).filter((n) => n.connection === c);
      expect(counts).toEqual([
        { connection: c, direction: 'crm-to-sahut', kind: 'conflict', records: 3 },
        { connection: c, direction: 'crm-to-sahut', kind: 'failed', records: 10 },
        { connection: c, direction: 'sahut-to-crm', kind: 'conflict', records: 2 },
        { connection: c, direction: 'sahut-to-crm', kind: 'failed', records: 10 },
      ]);
      for (const bad of [{ cursor: 'x' }, { cursor: '0' }, { limit: 0 }, { limit: 1001 }]) {
        await expect(store().listAttention({ limit: 5, ...bad })).rejects.toBeInstanceOf(StoreArgumentError);
      }
    });

    it('remembers decisions, carries records on request and counts links', async () => {
      const c = unique('conn');
      const at = new Date('2026-01-02T03:04:05.678Z');
      expect(await store().getDecision(c, 'r1')).toBeNull();
      await store().saveDecision({
        connection: c,
        crmId: 'r1',
        kind: 'link',
        sahutId: 's1',
        by: 'admin',
        at,
      });
      expect(await store().getDecision(c, 'r1')).toEqual({
        connection: c,
        crmId: 'r1',
        kind: 'link',
        sahutId: 's1',
        by: 'admin',
        at,
      });
      await store().saveDecision({
        connection: c,
        crmId: 'r1',
        kind: 'create',
        ruledOut: ['s1', 's2'],
        by: 'ops',
        at,
      });
      expect(await store().getDecision(c, 'r1')).toMatchObject({
        kind: 'create',
        ruledOut: ['s1', 's2'],
        by: 'ops',
      });

      await store().addCarried(c, 'crm-to-sahut', ['r1', 'r2', 'r1'], 'act-1');
      await store().addCarried(c, 'crm-to-sahut', ['r2'], 'act-2');
      expect(await store().listCarried(c, 'crm-to-sahut', null, 10)).toEqual([
        { crmId: 'r1', failures: 0, runId: 'act-1' },
        { crmId: 'r2', failures: 0, runId: 'act-1' },
      ]);

      for (const id of ['a', 'b']) {
        await store().upsertLink({
          connection: c,
          crmId: id,
          sahutId: `s-${id}`,
          phone: null,
          email: null,
          base: {},
          crmHash: 'h',
          sahutHash: 'h',
          syncedAt: at,
        });
      }
      expect((await store().countLinks()).get(c)).toBe(2);
    });

    it('fills the listing from the audit log when it is created (migration 3)', async () => {
      const db = await open('backfill');
      try {
        await db.migrate();
        const c = unique('conn');
        await db.appendAudit([
          row(c, { crmId: 'con', action: 'conflict', detail: { conflicts: [] } }),
          row(c, { crmId: 'con', action: 'unchanged' }),
          row(c, { crmId: 'fail', action: 'failed', error: 'HTTP 503' }),
          row(c, { crmId: 'fail', action: 'unchanged' }),
          row(c, { crmId: 'amb', action: 'ambiguous', detail: { candidates: ['s1', 's2'] } }),
          row(c, { crmId: 'amb', action: 'unchanged', direction: 'sahut-to-crm' }),
          row(c, { crmId: 'done', action: 'rejected' }),
          row(c, { crmId: 'done', action: 'updated' }),
        ]);
        await sql(
          'backfill',
          'drop table attention; drop table decisions; delete from migrations where id = 3',
        );
        await db.migrate();
        const listed = (await db.listAttention({ connection: c, limit: 10 })).entries;
        expect(listed.map((e) => `${e.id}:${e.kind}`)).toEqual(['amb:ambiguous', 'con:conflict']);
        expect(listed[0]?.detail).toEqual({ candidates: ['s1', 's2'] });
      } finally {
        await db.close();
      }
    });
  });
}
