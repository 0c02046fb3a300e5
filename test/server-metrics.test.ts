import { spawn } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../src/queue/index.ts';
import { until } from './helpers/env.ts';
import { hasPeer } from './helpers/peers.ts';
import { basic, createHarness, type Harness, TOKEN } from './server-fixtures.ts';

let harness: Harness | undefined;
const queues: Queue[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const q of queues.splice(0)) await q.close();
  await harness?.close();
  harness = undefined;
});

/** `promtool check metrics` on `text`: a real Prometheus parser and linter. */
async function promtool(text: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('/usr/bin/promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += String(d);
  });
  child.stderr.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.end(text);
  return { code: await exited, output };
}

/** The value of one sample line, e.g. `name{a="b"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('/metrics', () => {
  it.skipIf(!hasPeer('/usr/bin/promtool', 'prometheus'))(
    'serves Prometheus text that promtool accepts',
    async () => {
      harness = await createHarness();
      const { url } = await harness.start();
      harness.deps.metrics.records.inc({ action: 'created', direction: 'crm-to-sahut', connection: 'main' });
      harness.deps.metrics.latency.observe({ route: 'POST /contacts' }, 0.12);
      await scrape(url); // the first scrape may print a NaN event-loop mean; the second is the steady state
      const { status, type, text } = await scrape(url);
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      const checked = await promtool(text);
      // 0 = parses and lints clean; 1 = unparsable, 3 = lint findings.
      expect(checked.code, checked.output).toBe(0);

      const broken = await promtool('sahut_sync_records_total{action="created" 1\n');
      expect(broken.code).toBe(1);
      const unlinted = await promtool('# HELP x_total y\n# TYPE x_total gauge\nx_total 1\n');
      expect(unlinted.code).toBe(3);
    },
  );

  it('counters move when the process counts', async () => {
    harness = await createHarness();
    const { url } = await harness.start();
    const series = 'sahut_sync_records_total{action="updated",direction="crm-to-sahut",connection="main"}';
    const labels = { action: 'updated', direction: 'crm-to-sahut', connection: 'main' } as const;
    harness.deps.metrics.records.inc(labels);
    expect(sample((await scrape(url)).text, series)).toBe(1);
    harness.deps.metrics.records.inc(labels, 4);
    expect(sample((await scrape(url)).text, series)).toBe(5);
  });

  it('samples queue depths and the last successful run at scrape time', async () => {
    harness = await createHarness();
    const { url } = await harness.start();
    const runs = new Queue(QUEUES.runs, { connection: harness.deps.redis, prefix: harness.prefix });
    queues.push(runs);
    await runs.add('run', { connection: 'main' });
    await runs.add('run', { connection: 'main' });
    await runs.add('run', { connection: 'main' }, { delay: 60_000 });
    const store = harness.store;
    await store.startRun({ id: 'run-old', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
    await store.finishRun('run-old', 'succeeded');
    await store.startRun({ id: 'run-new', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
    await store.finishRun('run-new', 'succeeded');
    await store.startRun({ id: 'run-bad', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
    await store.finishRun('run-bad', 'failed');
    const newest = (await store.getRun('run-new'))?.finishedAt?.getTime() ?? 0;

    const { text } = await scrape(url);
    expect(sample(text, 'sahut_sync_queue_jobs{queue="runs",state="waiting"}')).toBe(2);
    expect(sample(text, 'sahut_sync_queue_jobs{queue="runs",state="delayed"}')).toBe(1);
    expect(sample(text, 'sahut_sync_queue_jobs{queue="records",state="waiting"}')).toBe(0);
    expect(
      sample(
        text,
        'sahut_sync_last_successful_run_timestamp_seconds{connection="main",direction="crm-to-sahut"}',
      ),
    ).toBe(newest / 1000);

    await runs.add('run', { connection: 'main' });
    expect(sample((await scrape(url)).text, 'sahut_sync_queue_jobs{queue="runs",state="waiting"}')).toBe(3);
  });

  it('samples the workers connected to each queue (the SahutSyncNoWorker alert)', async () => {
    harness = await createHarness();
    const { url } = await harness.start();
    expect(sample((await scrape(url)).text, 'sahut_sync_workers{queue="records"}')).toBe(0);
    const worker = new Worker(QUEUES.records, async () => {}, {
      connection: harness.deps.redis,
      prefix: harness.prefix,
    });
    closers.push(() => worker.close());
    await worker.waitUntilReady();
    await until(
      async () => sample((await scrape(url)).text, 'sahut_sync_workers{queue="records"}') === 1,
      10_000,
      'the worker to be counted',
    );
    expect(sample((await scrape(url)).text, 'sahut_sync_workers{queue="runs"}')).toBe(0);
  });

  it('is open by default and behind the dashboard credentials with METRICS_AUTH=dashboard', async () => {
    harness = await createHarness();
    expect((await scrape((await harness.start()).url)).status).toBe(200);
    await harness.close();

    harness = await createHarness({ METRICS_AUTH: 'dashboard' });
    const { url } = await harness.start();
    expect((await scrape(url)).status).toBe(401);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: basic() } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sahut_sync_records_total');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // A worker's health port needs the credentials too, and refuses to start without them.
    const worker = await createHarness({ METRICS_AUTH: 'dashboard', DASHBOARD_AUTH: 'bearer' }, false);
    try {
      const w = await worker.start();
      expect((await scrape(w.url)).status).toBe(401);
      const ok = await fetch(`${w.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      await expect(
        worker.start({
          config: { ...worker.deps.config, dashboard: { ...worker.deps.config.dashboard, token: undefined } },
        }),
      ).rejects.toThrow(/DASHBOARD_AUTH=bearer needs DASHBOARD_TOKEN/);
    } finally {
      await worker.close();
    }
  });

  it('inside a worker (no dashboard) exposes the counters without sampling shared state', async () => {
    harness = await createHarness({}, false);
    const { url } = await harness.start();
    harness.deps.metrics.runs.inc({ connection: 'main', direction: 'crm-to-sahut', outcome: 'succeeded' });
    const { status, text } = await scrape(url);
    expect(status).toBe(200);
    expect(
      sample(text, 'sahut_sync_runs_total{connection="main",direction="crm-to-sahut",outcome="succeeded"}'),
    ).toBe(1);
    expect(text).not.toContain('sahut_sync_queue_jobs{');
  });
});
