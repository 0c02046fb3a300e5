import { afterEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import {
  type CliProcess,
  type CsvCrm,
  cliEnv,
  csvCrm,
  csvRow,
  runCli,
  runSummaries,
  spawnCli,
} from './helpers/cli.ts';
import { API_KEY, deletePrefix, privateStore, until } from './helpers/env.ts';

/**
 * A run's books: every record it reads ends with exactly one outcome, whatever
 * ends its job, and a run started again by cron joins the one in flight.
 * Real processes killed with SIGKILL, a PostgreSQL store shared by all of them.
 */
describe('the books of a run (real processes, PostgreSQL store)', () => {
  let sandbox: Sandbox;
  let crm: CsvCrm;
  let store: Store;
  let disposeStore: () => Promise<void>;
  let env: Record<string, string>;
  const processes: CliProcess[] = [];

  async function setUp(
    records: number,
    sandboxOptions: Partial<SandboxOptions>,
    extra: Record<string, string>,
  ) {
    sandbox = await buildSandbox({ apiKey: API_KEY, ...sandboxOptions });
    const baseUrl = await sandbox.listen();
    crm = await csvCrm();
    await crm.write(Array.from({ length: records }, (_, i) => csvRow(i)));
    const s = await privateStore('postgres');
    ({ store, dispose: disposeStore } = s);
    env = {
      ...cliEnv({ storeEnv: s.env, baseUrl, label: 'books', configPath: crm.configPath }),
      JOB_LOCK_MS: '1000',
      JOB_BACKOFF_MS: '50',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  const start = (args: string[]) => {
    const p = spawnCli(args, env);
    processes.push(p);
    return p;
  };
  const kill = async (p: CliProcess) => {
    p.child.kill('SIGKILL');
    await p.exited;
  };
  const searches = () => sandbox.counts()['GET /contacts'] ?? 0;
  const posts = () => sandbox.counts()['POST /contacts'] ?? 0;

  afterEach(async () => {
    for (const p of processes.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await sandbox.close();
    await crm.dispose();
    await disposeStore();
    await deletePrefix(env.QUEUE_PREFIX as string);
  });

  it('a record job whose workers die past the stall limit is audited failed, and the next run syncs it', async () => {
    // The first two searches hang: each worker that takes the record is killed while it waits.
    const hang = { delayMs: 20_000 };
    await setUp(
      1,
      { faults: { rules: [{ route: 'GET /contacts', script: [hang, hang] }] } },
      { JOB_MAX_STALLS: '1' },
    );

    await kill((await waitFor(start(['run', '--once']), () => searches() >= 1)).p);
    await kill((await waitFor(start(['worker']), () => searches() >= 2)).p);
    start(['worker']);
    // Stalled a second time, past JOB_MAX_STALLS=1: BullMQ fails the job without calling the processor.
    const [first] = await waitForRuns(store, 1);
    expect(first).toMatchObject({ status: 'succeeded', total: 1, counts: { failed: 1 } });
    const [row] = (await store.queryAudit({ runId: first?.id, crmId: 'crm-0', limit: 5 })).rows;
    expect(row).toMatchObject({
      action: 'failed',
      error: expect.stringMatching(/stalled more than allowable limit/),
    });
    expect(sandbox.contacts()).toHaveLength(0);

    // The cursor moved past the record (the file is unchanged), but the failure is carried to the next run.
    const again = await runCli(['run', '--once'], env);
    expect(again.code).toBe(0);
    expect(runSummaries(again.output)).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 1, counts: { created: 1 } }),
    ]);
    expect(sandbox.contacts()).toHaveLength(1);
    const history = (await store.queryAudit({ crmId: 'crm-0', limit: 10 })).rows.map((r) => r.action);
    expect(history).toEqual(['created', 'failed']);
  });

  it('a failed record deleted from the CRM before the next run leaves the carried list, audited', async () => {
    // Every POST fails: the record ends failed and is carried to the next run.
    await setUp(1, { faults: { rules: [{ route: 'POST /contacts', share: 1, action: 503 }] } }, {});
    start(['worker']);
    const first = await runCli(['run', '--once'], env);
    expect(runSummaries(first.output)).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 1, counts: { failed: 1 } }),
    ]);
    expect(await store.listCarried('crm', 'crm-to-sahut', null, 10)).toHaveLength(1);

    await crm.write([]);
    const again = await runCli(['run', '--once'], env);
    expect(runSummaries(again.output)).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 1, counts: { unchanged: 1 } }),
    ]);
    expect(await store.listCarried('crm', 'crm-to-sahut', null, 10)).toEqual([]);
    const [row] = (await store.queryAudit({ crmId: 'crm-0', limit: 1 })).rows;
    expect(row).toMatchObject({ action: 'unchanged', error: expect.stringMatching(/^gone from the CRM/) });
  });

  it('run --once started again while its run is in flight joins that run and reports how it ended', async () => {
    // Small jobs, in flight pinned: the run must still be going when the test kills it.
    await setUp(
      40,
      { faults: { latencyMs: 100 } },
      { WORKER_CONCURRENCY: '2', WORKER_MAX_CONCURRENCY: '2', RECORD_BATCH_SIZE: '5' },
    );
    await kill((await waitFor(start(['run', '--once']), () => posts() >= 5)).p);

    const second = start(['run', '--once']);
    const { code } = await second.exited;
    const output = second.output();
    const joined = /run (run-\S+) is already in flight; waiting for it/.exec(output)?.[1];
    expect(joined, output).toBeDefined();
    expect(runSummaries(output)).toEqual([
      expect.objectContaining({ runId: joined, direction: 'crm-to-sahut', status: 'succeeded', records: 40 }),
    ]);
    expect(code).toBe(0);
    // One run only: the one that was killed, finished by the second process.
    expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual([joined]);
    const phones = sandbox.contacts().map((c) => c.phone);
    expect(phones).toHaveLength(40);
    expect(new Set(phones).size).toBe(40);
  });

  it('a run whose jobs vanish from Redis is reported failed, and the next run syncs what it left', async () => {
    await setUp(
      60,
      { faults: { latencyMs: 100 } },
      { WORKER_CONCURRENCY: '2', WORKER_MAX_CONCURRENCY: '2', RECORD_BATCH_SIZE: '5' },
    );
    const first = await waitFor(start(['run', '--once']), () => posts() >= 5);
    await deletePrefix(env.QUEUE_PREFIX as string);
    const { code } = await first.p.exited;
    expect(code).toBe(1);
    expect(runSummaries(first.p.output())).toEqual([
      expect.objectContaining({
        status: 'failed',
        note: expect.stringMatching(/its run job \S+ ended or vanished before the run finished/),
      }),
    ]);

    const next = await runCli(['run', '--once'], env);
    expect(next.code).toBe(0);
    const runs = await store.listRuns({ limit: 10 });
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
    const phones = sandbox.contacts().map((c) => c.phone);
    expect(phones).toHaveLength(60);
    expect(new Set(phones).size).toBe(60);
  });

  it('run --once --full reads the whole source again, at no API cost for unchanged records', async () => {
    await setUp(30, {}, {});
    expect((await runCli(['run', '--once'], env)).code).toBe(0);
    sandbox.resetCounts();
    const incremental = await runCli(['run', '--once'], env);
    expect(runSummaries(incremental.output)).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 0, counts: {} }),
    ]);
    const full = await runCli(['run', '--once', '--full'], env);
    expect(runSummaries(full.output)).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 30, counts: { unchanged: 30 } }),
    ]);
    expect(sandbox.counts()).toEqual({});
  });
});

/** Resolves once `condition` holds while `p` runs (fails if it exits first). */
async function waitFor(p: CliProcess, condition: () => boolean) {
  await until(() => {
    if (p.child.exitCode !== null) throw new Error(`exited early:\n${p.output()}`);
    return condition();
  }, 30_000);
  return { p };
}

async function waitForRuns(store: Store, count: number) {
  let runs: Awaited<ReturnType<Store['listRuns']>> = [];
  await until(
    async () => {
      runs = await store.listRuns({ limit: 10 });
      return runs.length >= count && runs.every((r) => r.status !== 'running');
    },
    40_000,
    `${count} finished runs`,
  );
  return runs;
}
