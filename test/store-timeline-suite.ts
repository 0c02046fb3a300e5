import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditAction, type AuditBucket, type Store, StoreArgumentError } from '../src/store/index.ts';
import type { RawSql } from './store-attention-suite.ts';

const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** When each row of the run happened: placed exactly, on and around the interval boundaries. */
const ROWS: [crmId: string, action: AuditAction, at: string][] = [
  ['c1', 'created', '2025-06-01T10:00:00.000Z'],
  ['c2', 'created', '2025-06-01T10:00:00.999Z'],
  ['c3', 'failed', '2025-06-01T10:00:01.000Z'],
  ['c4', 'retrying', '2025-06-01T10:00:09.999Z'],
  ['c4', 'updated', '2025-06-01T10:00:10.000Z'],
  ['c5', 'unchanged', '2025-06-01T11:59:59.999Z'],
];

const bucket = (at: string, action: AuditAction, rows: number): AuditBucket => ({
  start: new Date(at),
  action,
  rows,
});

/** The run page's timeline on one backend: audit rows of a run counted per interval and action. */
export function registerTimelineTests(store: () => Store, sql: RawSql): void {
  describe('audit timeline', () => {
    async function seed(): Promise<string> {
      const runId = unique('run');
      const connection = unique('conn');
      const entry = (crmId: string, action: AuditAction, run = runId) => ({
        runId: run,
        jobId: null,
        connection,
        direction: 'crm-to-sahut' as const,
        crmId,
        sahutId: null,
        action,
        diff: null,
        error: null,
        attempt: 1,
      });
      // Another run's row in the same second must not count.
      await store().appendAudit([
        ...ROWS.map(([id, action]) => entry(id, action)),
        entry('c1', 'failed', unique('run')),
      ]);
      // appendAudit stamps the time of the call: each row is moved to its place in time.
      for (const [crmId, action, at] of ROWS) {
        await sql(
          'main',
          `update audit set at = '${at}' where run_id = '${runId}' and crm_id = '${crmId}' and action = '${action}'`,
        );
      }
      return runId;
    }

    it("counts a run's rows per second and action, the start of each interval inclusive", async () => {
      const runId = await seed();
      expect(await store().auditTimeline(runId, 1000)).toEqual([
        bucket('2025-06-01T10:00:00.000Z', 'created', 2),
        bucket('2025-06-01T10:00:01.000Z', 'failed', 1),
        bucket('2025-06-01T10:00:09.000Z', 'retrying', 1),
        bucket('2025-06-01T10:00:10.000Z', 'updated', 1),
        bucket('2025-06-01T11:59:59.000Z', 'unchanged', 1),
      ]);
    });

    it('aligns longer intervals on the epoch, in time then action order', async () => {
      const runId = await seed();
      expect(await store().auditTimeline(runId, 10_000)).toEqual([
        bucket('2025-06-01T10:00:00.000Z', 'created', 2),
        bucket('2025-06-01T10:00:00.000Z', 'failed', 1),
        bucket('2025-06-01T10:00:00.000Z', 'retrying', 1),
        bucket('2025-06-01T10:00:10.000Z', 'updated', 1),
        bucket('2025-06-01T11:59:50.000Z', 'unchanged', 1),
      ]);
      // 7 s intervals start at whole multiples of 7 s since 1970: 10:00:00 falls inside one.
      const sevens = await store().auditTimeline(runId, 7000);
      for (const [, action, at] of ROWS) {
        const start = Math.floor(Date.parse(at) / 7000) * 7000;
        expect(sevens.some((b) => b.start.getTime() === start && b.action === action)).toBe(true);
      }
      expect(sevens.reduce((n, b) => n + b.rows, 0)).toBe(ROWS.length);
      expect(await store().auditTimeline(runId, 3600_000)).toEqual([
        bucket('2025-06-01T10:00:00.000Z', 'created', 2),
        bucket('2025-06-01T10:00:00.000Z', 'failed', 1),
        bucket('2025-06-01T10:00:00.000Z', 'retrying', 1),
        bucket('2025-06-01T10:00:00.000Z', 'updated', 1),
        bucket('2025-06-01T11:00:00.000Z', 'unchanged', 1),
      ]);
    });

    it('answers nothing for a run without rows, and rejects an interval that is not whole seconds', async () => {
      expect(await store().auditTimeline(unique('run'), 1000)).toEqual([]);
      for (const bad of [0, -1000, 999, 1500, 2.5, Number.NaN, 8 * 24 * 3600_000]) {
        await expect(store().auditTimeline('run-x', bad), String(bad)).rejects.toBeInstanceOf(
          StoreArgumentError,
        );
      }
    });
  });
}
