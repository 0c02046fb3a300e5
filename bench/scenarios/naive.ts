import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { duplicateCheck } from '../harness/checks.ts';
import { openDeployment } from '../harness/deployment.ts';
import { measureDeploymentRun } from '../harness/deployment-run.ts';
import { tempDir } from '../harness/engine.ts';
import { fixtureShape } from '../harness/fixture.ts';
import { measure, perSecond } from '../harness/measure.ts';
import { SAHUT_API_KEY, startSahut } from '../harness/sahut.ts';
import { spawnNode } from '../harness/spawn.ts';
import { formatKinds } from '../harness/table.ts';
import { type BenchOptions, check, type Measurement, type Scenario } from '../harness/types.ts';

const SCRIPT = fileURLToPath(new URL('../naive/script.ts', import.meta.url));
const LATENCY_MS = 50;
const TARGET = 50;
const summarySchema = z.object({
  seconds: z.number(),
  created: z.number(),
  updated: z.number(),
  cpuMs: z.number(),
});

/** The naive script as its own process against its own stand-in, on the same records and Sahut data. */
async function runNaive(opts: BenchOptions) {
  const records = opts.naiveRecords;
  const sahut = await startSahut({ rate: null, latencyMs: LATENCY_MS });
  const dir = await tempDir();
  try {
    await sahut.seed(fixtureShape(records));
    const ctx = { label: 'naive script', records, rate: null, sahut, redisPid: null };
    const { m, value } = await measure(ctx, [], async (watch) => {
      const args = ['--base-url', sahut.baseUrl, '--api-key', SAHUT_API_KEY, '--records', String(records)];
      const p = spawnNode(SCRIPT, args, {}, dir, 'naive');
      watch.add({
        kind: 'pid',
        name: 'naive script',
        role: 'naive',
        pid: p.pid,
        usageFile: p.usageFile,
        lifetime: true,
      });
      const { code } = await p.exited;
      const last = p.output().trim().split('\n').at(-1) ?? '';
      if (code !== 0) throw new Error(`the naive script exited with ${code}:\n${p.output().slice(-2000)}`);
      return summarySchema.parse(JSON.parse(last));
    });
    // Its own loop's time and CPU: Node starting up is not the script's work (and counted for the engine neither).
    const processes = m.processes.map((p) => (p.role === 'naive' ? { ...p, cpuMs: value.cpuMs } : p));
    const cpu = processes.filter((p) => p.role !== 'sahut').reduce((n, p) => n + p.cpuMs, 0);
    const naive: Measurement = { ...m, seconds: value.seconds, processes, cpuMsPerRecord: cpu / records };
    const counts = { created: value.created, linked: value.updated };
    return {
      m: naive,
      dup: await duplicateCheck('naive script', sahut, { counts }, { records, ...fixtureShape(records) }),
    };
  } finally {
    await sahut.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The engine as the cron user runs it: one `sahut-sync run --once` process and no worker, a
 * PostgreSQL CRM table and store, counted whole (start-up, Redis, the store's backends).
 */
async function runEngine(opts: BenchOptions) {
  const records = opts.naiveRunRecords;
  const shape = fixtureShape(records);
  const d = await openDeployment({
    records,
    seed: shape,
    concurrency: opts.concurrency,
    redisUrl: opts.redis.url,
    latencyMs: LATENCY_MS,
  });
  try {
    const { m, run } = await measureDeploymentRun(d, {
      label: 'run --once',
      records,
      redisPid: opts.redis.pid,
    });
    return {
      m,
      dup: await duplicateCheck('run --once (naive scenario)', d.sahut, run, { records, ...shape }),
    };
  } finally {
    await d.close();
  }
}

/** The engine against the naive script, same records, same Sahut data, same run, 50 ms per request, no limit. */
export const naive: Scenario = {
  name: 'naive',
  summary: `the naive sequential script vs one run --once process, same data, Sahut at ${LATENCY_MS} ms and not limiting`,
  async run(opts) {
    const n = await runNaive(opts);
    const e = await runEngine(opts);
    const ratio = perSecond(e.m) / perSecond(n.m);
    const cpuRatio = e.m.cpuMsPerRecord / n.m.cpuMsPerRecord;
    return {
      rows: [n.m, e.m],
      notes: [
        `naive calls: ${formatKinds(n.m)}`,
        `engine calls: ${formatKinds(e.m)}`,
        `engine ÷ naive: ${ratio.toFixed(1)}× the records/s, ` +
          `${(e.m.apiCalls / e.m.records / (n.m.apiCalls / n.m.records)).toFixed(2)}× the calls per record, ` +
          `${cpuRatio.toFixed(1)}× the CPU per record (engine: run --once with its start-up, Redis, PostgreSQL; naive: its loop only)`,
        `the script's records/s is its steady pace over ${n.m.records} records (one after the other, it does not ` +
          `change with their number); the engine's is one run --once over ${e.m.records} rows, start-up included`,
      ],
      checks: [
        check(
          `naive: one run --once ≥ ${TARGET}× the naive script's records/s at ${LATENCY_MS} ms, no limit`,
          ratio >= TARGET,
          `${perSecond(e.m).toFixed(1)} vs ${perSecond(n.m).toFixed(1)} records/s = ${ratio.toFixed(1)}×`,
        ),
        e.dup,
        n.dup,
      ],
    };
  },
};
