import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryConnector } from '../src/crm/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { ATTENTION_KINDS, AUDIT_ACTIONS, OUTCOME_ACTIONS } from '../src/store/index.ts';
import { ARTIFACTS, hasChromium, launchChromium, withPage } from './helpers/browser.ts';
import { type Node, runOnce, startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, testConfig } from './helpers/env.ts';
import { basic, createHarness, type Harness, PASSWORD } from './server-fixtures.ts';

const CONNECTION = 'browser-charts';

let harness: Harness;
let url: string;
let browser: Browser;
let sandbox: Sandbox;
let node: Node;
let firstRun: string;

beforeAll(async () => {
  harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
  url = (await harness.start()).url;
  const started = await startSandbox({ apiKey: API_KEY });
  sandbox = started.sandbox;
  const config = testConfig({
    QUEUE_PREFIX: harness.prefix,
    SAHUT_BASE_URL: started.baseUrl,
    SAHUT_MAX_RETRIES: '0',
  });
  // Siti's phone is one contact's and her email another's: ambiguous until a person says which.
  sandbox.seed([
    { name: 'Siti (WhatsApp)', phone: '+6281234567789' },
    { name: 'Siti Rahma', email: 'siti@example.com' },
  ]);
  const connector = createMemoryConnector([
    ...Array.from({ length: 6 }, (_, i) => ({
      id: `crm-${i}`,
      data: { name: `Person ${i}`, phone: `0813-0000-00${10 + i}`, email: `p${i}@example.com` },
    })),
    { id: 'crm-siti', data: { name: 'Siti Rahma', phone: '0812-3456-7789', email: 'siti@example.com' } },
    { id: 'crm-bad', data: { name: 'Bad Email', email: 'not-an-email' } },
  ]);
  // Matched by searches, one record at a time: Sahut down for the first search fails one attempt
  // of one record, which is retried (the first run has a `retrying` row).
  const connection = testConnection(CONNECTION, { match: 'search' });
  node = startNode(config, harness.store, [connection], () => connector);
  sandbox.setFaults({ rules: [{ route: 'GET /contacts', script: [503] }] });
  firstRun = (await runOnce(node, CONNECTION)).id;
  await connector.edit('crm-1', { company: 'PT Baru' });
  await connector.edit('crm-2', { company: 'PT Lama' });
  await runOnce(node, CONNECTION);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  await sandbox?.close();
  await harness?.close();
});

const LOGIN = {
  httpCredentials: { username: 'admin', password: PASSWORD },
  viewport: { width: 1280, height: 900 },
};

async function api(path: string): Promise<unknown> {
  const res = await fetch(url + path, { headers: { authorization: basic() } });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** What a chart shows: a label per bar, and per series its name and one number (or none) per bar. */
interface Shown {
  labels: string[];
  series: { label: string; data: (number | null)[] }[];
}

const countsSchema = z.record(z.string(), z.number());
const runsSchema = z.object({
  runs: z.array(
    z.object({
      startedAt: z.iso.datetime(),
      finishedAt: z.iso.datetime().nullable(),
      counts: countsSchema,
    }),
  ),
});
const timelineSchema = z.object({
  intervals: z.array(z.object({ start: z.iso.datetime(), counts: countsSchema })),
  totals: countsSchema,
});
const healthSchema = z.object({
  connections: z.array(
    z.object({
      connection: z.string(),
      direction: z.string(),
      trend: z.array(z.object({ startedAt: z.iso.datetime(), attention: countsSchema })),
    }),
  ),
});

const day = (iso: string) => iso.slice(5, 19).replace('T', ' ');
const nonZero = (keys: readonly string[], counts: Record<string, number>[]) =>
  keys.filter((key) => counts.some((c) => (c[key] ?? 0) > 0));
const column = (key: string, counts: Record<string, number>[]) => counts.map((c) => c[key] ?? 0);

/** What each chart must show, from the JSON API alone. */
const expected = {
  async runs(connection: string, direction: string): Promise<Shown> {
    const query = new URLSearchParams({ connection, direction, limit: '20' });
    const runs = runsSchema.parse(await api(`/api/runs?${query}`)).runs.reverse();
    const counts = runs.map((r) => r.counts);
    return {
      labels: runs.map((r) => day(r.startedAt)),
      series: [
        ...nonZero(OUTCOME_ACTIONS, counts).map((label) => ({ label, data: column(label, counts) })),
        {
          label: 'Duration (s)',
          data: runs.map((r) =>
            r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null,
          ),
        },
      ],
    };
  },
  async throughput(run: string): Promise<Shown> {
    const { intervals } = timelineSchema.parse(await api(`/api/runs/${run}/timeline`));
    const counts = intervals.map((i) => i.counts);
    return {
      labels: intervals.map((i) => i.start.slice(11, 19)),
      series: nonZero(AUDIT_ACTIONS, counts).map((label) => ({ label, data: column(label, counts) })),
    };
  },
  async kinds(run: string): Promise<Shown> {
    const { totals } = timelineSchema.parse(await api(`/api/runs/${run}/timeline`));
    const actions = nonZero(AUDIT_ACTIONS, [totals]);
    return { labels: actions, series: [{ label: 'Audit rows', data: actions.map((a) => totals[a] ?? 0) }] };
  },
  async attention(connection: string, direction: string): Promise<Shown> {
    const health = healthSchema.parse(await api('/api/sync-health'));
    const pair = health.connections.find((c) => c.connection === connection && c.direction === direction);
    const counts = (pair?.trend ?? []).map((t) => t.attention);
    return {
      labels: (pair?.trend ?? []).map((t) => day(t.startedAt)),
      series: nonZero(ATTENTION_KINDS, counts).map((label) => ({ label, data: column(label, counts) })),
    };
  },
};

const figureSchema = z.object({
  id: z.string(),
  connection: z.string().nullable(),
  direction: z.string().nullable(),
  run: z.string().nullable(),
  numbersOpen: z.boolean(),
  canvas: z
    .object({
      width: z.number(),
      height: z.number(),
      painted: z.number(),
      role: z.string().nullable(),
      name: z.string().nullable(),
      description: z.string().nullable(),
    })
    .nullable(),
  shown: z
    .object({
      labels: z.array(z.string()),
      series: z.array(z.object({ label: z.string(), data: z.array(z.number().nullable()) })),
    })
    .nullable(),
});
type Figure = z.infer<typeof figureSchema>;

/** Every chart of the page as drawn: its canvas, its accessible name, and the data of its Chart.js instance. */
async function drawnFigures(page: Page): Promise<Figure[]> {
  const waiting = page.locator('figure[data-chart]:not([data-drawn="true"])');
  await expect.poll(() => waiting.count(), { timeout: 15_000 }).toBe(0);
  const figures = await page.evaluate(`[...document.querySelectorAll('figure[data-chart]')].map((figure) => {
    const canvas = figure.querySelector('canvas');
    const chart = canvas && Chart.getChart(canvas);
    let painted = 0;
    if (canvas) {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    }
    return {
      id: figure.id,
      connection: figure.dataset.connection ?? null,
      direction: figure.dataset.direction ?? null,
      run: figure.dataset.run ?? null,
      numbersOpen: figure.querySelector('details').open,
      canvas: canvas && {
        width: canvas.width,
        height: canvas.height,
        painted,
        role: canvas.getAttribute('role'),
        name: canvas.getAttribute('aria-label'),
        description: document.getElementById(canvas.getAttribute('aria-describedby'))?.textContent ?? null,
      },
      shown: chart && {
        labels: chart.data.labels,
        series: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
      },
    };
  })`);
  return z.array(figureSchema).parse(figures);
}

/** A chart's numbers as its table shows them, read without running any script in the page. */
async function tableOf(figure: Locator): Promise<Shown> {
  const series = await figure.locator('thead th[data-series]').allTextContents();
  const rows = figure.locator('tbody tr');
  const labels: string[] = [];
  const values: (number | null)[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    labels.push((await rows.nth(i).locator('th').getAttribute('data-label')) ?? '');
    values.push(
      (await rows.nth(i).locator('td').allTextContents()).map((t) => (t === '—' ? null : Number(t))),
    );
  }
  return { labels, series: series.map((label, s) => ({ label, data: values.map((row) => row[s] ?? null) })) };
}

function expectDrawn(figure: Figure): Shown {
  expect(figure.canvas, figure.id).not.toBeNull();
  const canvas = figure.canvas!;
  expect(canvas.width * canvas.height).toBeGreaterThan(0);
  // Bars, axes and legend cover part of the canvas: more than 2% of it is painted.
  expect(canvas.painted / (canvas.width * canvas.height)).toBeGreaterThan(0.02);
  expect(canvas.role).toBe('img');
  expect(canvas.name).toMatch(/\w.*The numbers are in the table under "Numbers"\.$/);
  expect(canvas.description?.length).toBeGreaterThan(40);
  expect(figure.numbersOpen).toBe(false);
  return figure.shown!;
}

/** Opens `path` with errors (a script refused by the policy included) collected. */
async function visit(page: Page, path: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const response = await page.goto(url + path, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  return errors;
}

describe.skipIf(!hasChromium())('charts in a browser', () => {
  it("/runs draws each connection's last runs, bar for bar the numbers of /api/runs", async () => {
    await withPage(browser, LOGIN, async (page) => {
      const errors = await visit(page, '/runs');
      const figures = await drawnFigures(page);
      expect(figures).toHaveLength(1);
      const [figure] = figures as [Figure];
      expect([figure.connection, figure.direction]).toEqual([CONNECTION, 'crm-to-sahut']);
      const shown = expectDrawn(figure);
      expect(shown).toEqual(await expected.runs(CONNECTION, 'crm-to-sahut'));
      // The run's outcomes are all there: what the seeding made happen.
      expect(shown.series.map((s) => s.label)).toEqual(
        expect.arrayContaining(['created', 'updated', 'ambiguous', 'rejected', 'Duration (s)']),
      );
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}charts-runs.png`, fullPage: true });
    });
  });

  it("a run's page draws its throughput and attempts by kind from /api/runs/:id/timeline", async () => {
    await withPage(browser, LOGIN, async (page) => {
      const errors = await visit(page, `/audit?run=${firstRun}`);
      const figures = await drawnFigures(page);
      expect(figures.map((f) => [f.id, f.run])).toEqual([
        ['throughput-chart', firstRun],
        ['kinds-chart', firstRun],
      ]);
      const [throughput, kinds] = figures as [Figure, Figure];
      expect(expectDrawn(throughput)).toEqual(await expected.throughput(firstRun));
      const byKind = expectDrawn(kinds);
      expect(byKind).toEqual(await expected.kinds(firstRun));
      expect(byKind.labels).toEqual(expect.arrayContaining(['created', 'retrying', 'ambiguous', 'rejected']));
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}charts-run.png`, fullPage: true });
    });
  });

  it('sync health draws what each run left needing a person, from /api/sync-health', async () => {
    await withPage(browser, LOGIN, async (page) => {
      const errors = await visit(page, '/');
      const figures = await drawnFigures(page);
      expect(figures.map((f) => [f.connection, f.direction])).toEqual([[CONNECTION, 'crm-to-sahut']]);
      const shown = expectDrawn(figures[0]!);
      expect(shown).toEqual(await expected.attention(CONNECTION, 'crm-to-sahut'));
      expect(shown.series.map((s) => s.label)).toEqual(['ambiguous', 'rejected']);
      expect(shown.labels).toHaveLength(2);
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}charts-health.png`, fullPage: true });
    });
  });

  it("shows every chart's numbers in a table with JavaScript off", async () => {
    await withPage(browser, { ...LOGIN, javaScriptEnabled: false }, async (page) => {
      const pages: [string, string, () => Promise<Shown>][] = [
        ['/runs', '#runs-chart-0', () => expected.runs(CONNECTION, 'crm-to-sahut')],
        [`/audit?run=${firstRun}`, '#throughput-chart', () => expected.throughput(firstRun)],
        [`/audit?run=${firstRun}`, '#kinds-chart', () => expected.kinds(firstRun)],
        ['/', '#attention-chart-0', () => expected.attention(CONNECTION, 'crm-to-sahut')],
      ];
      for (const [path, id, want] of pages) {
        await visit(page, path);
        const figure = page.locator(id);
        expect(await figure.locator('canvas').count(), id).toBe(0);
        await expect(figure.locator('table').isVisible()).resolves.toBe(true);
        expect(await figure.locator('figcaption').textContent()).toMatch(/\w/);
        expect(await tableOf(figure), `${path} ${id}`).toEqual(await want());
      }
      await page.screenshot({ path: `${ARTIFACTS}charts-no-js.png`, fullPage: true });
    });
  });
});
