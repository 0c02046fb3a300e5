import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { intervalFor } from '../src/server/charts/index.ts';
import type { AuditAction, AuditEntry, Store } from '../src/store/index.ts';
import { privateStore, type StoreKind } from './helpers/env.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

const counts = z.record(z.string(), z.number());
const timelineSchema = z.strictObject({
  runId: z.string(),
  intervalMs: z.number(),
  intervals: z.array(z.strictObject({ start: z.iso.datetime(), counts })),
  totals: counts,
});
const runsSchema = z.object({
  runs: z.array(z.object({ id: z.string(), direction: z.string(), startedAt: z.iso.datetime() })),
});
const healthSchema = z.object({
  connections: z.array(
    z.object({
      connection: z.string(),
      direction: z.string(),
      trend: z.array(
        z.strictObject({
          runId: z.string(),
          startedAt: z.iso.datetime(),
          status: z.string(),
          attention: counts,
        }),
      ),
    }),
  ),
});

const row = (runId: string, crmId: string, action: AuditAction): AuditEntry => ({
  runId,
  jobId: null,
  connection: 'main',
  direction: runId === 'run-back' ? 'sahut-to-crm' : 'crm-to-sahut',
  crmId,
  sahutId: null,
  action,
  diff: null,
  error: null,
  attempt: 1,
});

/** Two finished runs and a replay of main (CRM to Sahut), and a run of the other direction still going. */
async function seed(store: Store): Promise<void> {
  const start = (id: string) =>
    store.startRun({
      id,
      connection: 'main',
      direction: id === 'run-back' ? 'sahut-to-crm' : 'crm-to-sahut',
      dryRun: false,
    });
  await start('run-1');
  await store.appendAudit([
    row('run-1', 'c1', 'created'),
    row('run-1', 'c2', 'created'),
    row('run-1', 'c3', 'retrying'),
    row('run-1', 'c4', 'conflict'),
    row('run-1', 'c5', 'ambiguous'),
  ]);
  await store.appendAudit([row('run-1', 'c3', 'failed')]);
  await store.finishRun('run-1', 'succeeded');
  await start('run-2');
  await store.appendAudit([row('run-2', 'c1', 'unchanged'), row('run-2', 'c4', 'conflict')]);
  await store.finishRun('run-2', 'succeeded');
  await start('replay-1');
  await store.appendAudit([row('replay-1', 'c3', 'failed')]);
  await store.finishRun('replay-1', 'failed');
  await start('run-back');
  await store.appendAudit([row('run-back', 'c9', 'updated')]);
}

describe.each<StoreKind>(['sqlite', 'postgres'])('chart data in the API on the %s store', (kind) => {
  let harness: Harness;
  let url: string;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    harness = await createHarness();
    const own = kind === 'postgres' ? await privateStore('postgres') : undefined;
    dispose = own?.dispose;
    const store = own?.store ?? harness.store;
    await seed(store);
    url = (await harness.start({ store })).url;
  });
  afterAll(async () => {
    await harness?.close();
    await dispose?.();
  });
  const get = (path: string, authorization = basic()) => fetch(url + path, { headers: { authorization } });
  const json = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return res.json();
  };

  it("answers a run's audit rows per second and action, every second of the run included", async () => {
    const timeline = timelineSchema.parse(await json('/api/runs/run-1/timeline'));
    const run = z
      .object({ startedAt: z.iso.datetime(), finishedAt: z.iso.datetime() })
      .parse(await json('/api/runs/run-1'));
    expect(timeline.runId).toBe('run-1');
    expect(timeline.intervalMs).toBe(1000);
    // Attempts, not records: c3's retry and its failure both count.
    expect(timeline.totals).toEqual({ created: 2, retrying: 1, failed: 1, conflict: 1, ambiguous: 1 });
    const summed: Record<string, number> = {};
    for (const { counts } of timeline.intervals)
      for (const [action, n] of Object.entries(counts)) summed[action] = (summed[action] ?? 0) + n;
    expect(summed).toEqual(timeline.totals);
    const starts = timeline.intervals.map((i) => Date.parse(i.start));
    expect(starts.every((t, i) => i === 0 || t - starts[i - 1]! === 1000)).toBe(true);
    expect(starts[0]).toBe(Math.floor(Date.parse(run.startedAt) / 1000) * 1000);
    expect(starts.at(-1)).toBe(Math.floor(Date.parse(run.finishedAt) / 1000) * 1000);
  });

  it('answers 404 for an unknown run, and asks for credentials first', async () => {
    const missing = await get('/api/runs/run-nope/timeline');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect((await fetch(`${url}/api/runs/run-1/timeline`)).status).toBe(401);
  });

  it("lists one direction's runs when asked (what the runs page charts)", async () => {
    const back = runsSchema.parse(await json('/api/runs?connection=main&direction=sahut-to-crm'));
    expect(back.runs.map((r) => r.id)).toEqual(['run-back']);
    const out = runsSchema.parse(await json('/api/runs?connection=main&direction=crm-to-sahut'));
    expect(out.runs.map((r) => r.id)).toEqual(['replay-1', 'run-2', 'run-1']);
    expect((await get('/api/runs?direction=sideways')).status).toBe(400);
  });

  it('gives each connection and direction the trend of what its runs left needing a person', async () => {
    const { connections } = healthSchema.parse(await json('/api/sync-health'));
    const out = connections.find((c) => c.direction === 'crm-to-sahut');
    // Oldest first; the replay redid records and is left out, like everywhere on the health page.
    expect(out?.trend.map((t) => [t.runId, t.attention])).toEqual([
      ['run-1', { conflict: 1, ambiguous: 1, failed: 1 }],
      ['run-2', { conflict: 1 }],
    ]);
    const back = connections.find((c) => c.direction === 'sahut-to-crm');
    expect(back?.trend).toEqual([
      { runId: 'run-back', startedAt: expect.any(String), status: 'running', attention: {} },
    ]);
  });
});

describe('chart intervals', () => {
  it('picks the shortest readable interval giving at most 60 bars', () => {
    const s = 1000;
    expect(intervalFor(0)).toBe(s);
    expect(intervalFor(60 * s)).toBe(s);
    expect(intervalFor(61 * s)).toBe(2 * s);
    expect(intervalFor(3600 * s)).toBe(60 * s);
    expect(intervalFor(2 * 3600 * s)).toBe(2 * 60 * s);
    expect(intervalFor(30 * 24 * 3600 * s)).toBe(12 * 3600 * s);
    expect(intervalFor(10 * 365 * 24 * 3600 * s)).toBe(7 * 24 * 3600 * s);
  });
});

describe('charts on the pages', () => {
  let harness: Harness;
  let url: string;
  beforeAll(async () => {
    harness = await createHarness();
    await seed(harness.store);
    url = (await harness.start()).url;
  });
  afterAll(async () => {
    await harness?.close();
  });
  const get = (path: string) => fetch(url + path, { headers: { authorization: basic() } });

  it('draws a two-hour run in 2-minute intervals, the quiet ones included', async () => {
    const { store } = harness;
    await store.startRun({ id: 'run-long', connection: 'long', direction: 'crm-to-sahut', dryRun: false });
    await store.appendAudit([row('run-long', 'a', 'created'), row('run-long', 'b', 'updated')]);
    await store.finishRun('run-long', 'succeeded');
    const where = harness.deps.config.store;
    if (where.kind !== 'sqlite') throw new Error('the harness store is SQLite');
    // The run and its rows moved back in time: no store method does that.
    const db = new DatabaseSync(where.path);
    try {
      db.exec(`update runs set started_at = '2025-06-01T10:00:30.000Z', finished_at = '2025-06-01T12:00:30.000Z'
               where id = 'run-long';
               update audit set at = '2025-06-01T10:01:59.999Z' where run_id = 'run-long' and crm_id = 'a';
               update audit set at = '2025-06-01T11:30:00.000Z' where run_id = 'run-long' and crm_id = 'b';`);
    } finally {
      db.close();
    }
    const timeline = timelineSchema.parse(await (await get('/api/runs/run-long/timeline')).json());
    expect(timeline.intervalMs).toBe(120_000);
    expect(timeline.intervals).toHaveLength(61);
    expect(timeline.intervals[0]).toEqual({ start: '2025-06-01T10:00:00.000Z', counts: { created: 1 } });
    expect(timeline.intervals[45]).toEqual({ start: '2025-06-01T11:30:00.000Z', counts: { updated: 1 } });
    expect(timeline.intervals.filter((i) => Object.keys(i.counts).length === 0)).toHaveLength(59);
    expect(timeline.intervals.at(-1)?.start).toBe('2025-06-01T12:00:00.000Z');
  });

  it('loads the chart scripts from the dashboard itself, and only where a page has charts', async () => {
    const res = await get('/runs');
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
    );
    const scripts = [...html.matchAll(/<script [^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual([
      expect.stringMatching(/^\/assets\/chart-[0-9a-f]{16}\.js$/),
      expect.stringMatching(/^\/assets\/charts-[0-9a-f]{16}\.js$/),
    ]);
    const [library, charts] = await Promise.all(scripts.map((src) => get(src)));
    for (const script of [library!, charts!]) {
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(script.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(await library!.text()).toMatch(/^\/\*!\n \* Chart\.js v4\./);
    expect(await charts!.text()).toContain("querySelectorAll('figure[data-chart]')");
    expect((await fetch(url + scripts[0]!)).status).toBe(401);
    expect((await get('/assets/chart-0000000000000000.js')).status).toBe(404);
    expect(await (await get('/attention')).text()).not.toContain('<script');
  });

  it('puts every number of a chart in a table that needs no script', async () => {
    const runs = await (await get('/runs')).text();
    expect(runs).toMatch(/<figure class="chart" id="runs-chart-\d"[^>]* data-connection="main"/);
    expect(runs).toContain('<details class="chart-numbers" open>');
    expect(runs).toContain('<th scope="col" data-series="duration" data-line>Duration (s)</th>');
    const run = await (await get('/audit?run=run-1')).text();
    expect(run).toContain('<figure class="chart" id="throughput-chart"');
    expect(run).toMatch(
      /<th scope="row" data-label="retrying">retrying<\/th><td class="num" data-value="1">1<\/td>/,
    );
    const health = await (await get('/')).text();
    expect(health).toContain('Needs attention, run by run');
    expect(health).toMatch(/<th scope="col" data-series="ambiguous">ambiguous<\/th>/);
  });
});
