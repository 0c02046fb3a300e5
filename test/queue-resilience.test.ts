import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConnections } from '../src/config/index.ts';
import { createLogger } from '../src/log/index.ts';
import { createRuntime, enqueueRun, type Runtime, waitForRun } from '../src/queue/index.ts';
import { buildSandbox, type Sandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type CliProcess, type CsvCrm, csvCrm, csvRow, spawnCli } from './helpers/cli.ts';
import {
  API_KEY,
  deletePrefix,
  privateStore,
  REDIS_URL,
  testConfig,
  uniqueName,
  until,
} from './helpers/env.ts';

const RECORDS = 300;

describe('workers under crashes, shutdowns and 429s (real processes, PostgreSQL store)', () => {
  let sandbox: Sandbox;
  let crm: CsvCrm;
  let store: Store;
  let dispose: () => Promise<void>;
  let env: Record<string, string>;
  let rt: Runtime;
  const processes: CliProcess[] = [];
  /** Arrival time of every Sahut request, to measure the rate the workers achieved. */
  let arrivals: number[];

  async function setUp(
    sandboxOptions: Parameters<typeof buildSandbox>[0],
    extraEnv: Record<string, string> = {},
  ) {
    sandbox = await buildSandbox(sandboxOptions);
    arrivals = [];
    sandbox.app.addHook('onRequest', async () => {
      arrivals.push(Date.now());
    });
    const baseUrl = await sandbox.listen();
    crm = await csvCrm();
    await crm.write(Array.from({ length: RECORDS }, (_, i) => csvRow(i)));
    const s = await privateStore('postgres');
    ({ store, dispose } = s);
    env = {
      ...s.env,
      SAHUT_BASE_URL: baseUrl,
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      QUEUE_PREFIX: uniqueName('resil'),
      SYNC_CONFIG: crm.configPath,
      JOB_LOCK_MS: '2000',
      JOB_BACKOFF_MS: '50',
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const config = testConfig(env);
    rt = createRuntime({
      config,
      connections: loadConnections(crm.configPath),
      store,
      log: createLogger({ level: 'silent' }),
    });
  }

  beforeEach(() => {
    processes.length = 0;
  });

  afterEach(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await rt.close();
    await sandbox.close();
    await crm.dispose();
    await dispose();
    await deletePrefix(env.QUEUE_PREFIX as string);
  });

  const worker = (concurrency = 4) => {
    const p = spawnCli(['worker', '--concurrency', String(concurrency)], env);
    processes.push(p);
    return p;
  };

  function expectExactlyTheCrm() {
    const contacts = sandbox.contacts();
    expect(contacts).toHaveLength(RECORDS);
    expect(new Set(contacts.map((c) => c.phone)).size).toBe(RECORDS);
  }

  it('a worker killed with SIGKILL mid-run: another one finishes, nothing missing or duplicated', async () => {
    await setUp({ apiKey: API_KEY, faults: { latencyMs: 15 } }, { SAHUT_RATE_LIMIT: '200' });
    const { job, runId } = await enqueueRun(rt, 'crm', 'crm-to-sahut');
    const first = worker();
    await until(() => sandbox.contacts().length >= 60, 30_000, 'the first worker to make progress');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(sandbox.contacts().length).toBeLessThan(RECORDS);

    worker();
    const run = await waitForRun(rt, job, runId);
    expect(run.status).toBe('succeeded');
    expectExactlyTheCrm();
    // A record whose link was saved just before the kill is settled as unchanged on its second attempt.
    const { created = 0, linked = 0, unchanged = 0, ...rest } = run.counts;
    expect(created + linked + unchanged).toBe(RECORDS);
    expect(rest).toEqual({});
  });

  it('SIGTERM drains: exit 0 within the grace period, and the run completes with nothing lost', async () => {
    await setUp({ apiKey: API_KEY, faults: { latencyMs: 15 } }, { SAHUT_RATE_LIMIT: '200' });
    const { job, runId } = await enqueueRun(rt, 'crm', 'crm-to-sahut');
    const first = worker();
    await until(() => sandbox.contacts().length >= 60, 30_000, 'the first worker to make progress');
    const sent = Date.now();
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    expect(code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5000 + 2000);

    worker();
    const run = await waitForRun(rt, job, runId);
    expect(run.counts.failed ?? 0).toBe(0);
    expectExactlyTheCrm();
  });

  it('under 429s the run finishes without exhausting attempts and within the configured rate', async () => {
    // Sahut allows 25 requests per second; the deployment is configured for 20, spread over two workers.
    await setUp(
      {
        apiKey: API_KEY,
        faults: {
          rateLimit: { requests: 25, windowMs: 1000 },
          rules: [{ every: 40, action: { status: 429, retryAfterSec: 1 } }],
        },
      },
      { SAHUT_RATE_LIMIT: '20', JOB_ATTEMPTS: '2' },
    );
    await crm.write(Array.from({ length: 60 }, (_, i) => csvRow(i)));
    const { job, runId } = await enqueueRun(rt, 'crm', 'crm-to-sahut');
    worker(8);
    worker(8);
    const run = await waitForRun(rt, job, runId);

    expect(run.counts).toEqual({ created: 60 });
    const tooMany = Object.values(sandbox.statusCounts()).reduce(
      (n, byStatus) => n + (byStatus['429'] ?? 0),
      0,
    );
    expect(tooMany).toBeGreaterThan(0);
    // Over every full three-second window of the run. Slots are reserved 50 ms apart, but a request can
    // reach Sahut a little late (two processes on two busy cores), so a window edge may hold one or two extra.
    const start = arrivals[0] as number;
    const windowMs = 3000;
    for (let t = start; t + windowMs <= (arrivals.at(-1) as number); t += 100) {
      const inWindow = arrivals.filter((a) => a >= t && a < t + windowMs).length;
      expect(inWindow).toBeLessThanOrEqual((20 * windowMs) / 1000 + 2);
    }
    const seconds = ((arrivals.at(-1) as number) - start) / 1000;
    // N requests spread over N - 1 gaps.
    expect((arrivals.length - 1) / seconds).toBeLessThanOrEqual(20);
  });
});
