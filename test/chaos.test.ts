import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepareRecord } from '../src/sync/apply/prepare.ts';
import { type ChaosDeployment, chaosDeployment } from './helpers/chaos/deployment.ts';
import { createChaos, summaryLine } from './helpers/chaos/driver.ts';
import { chaosSchedule, describeSchedule, pick, seededRandom } from './helpers/chaos/schedule.ts';
import { describeRuns, judge } from './helpers/chaos/verdict.ts';
import { runCli, runSummaries, spawnCli } from './helpers/cli.ts';

/**
 * The chaos suite: real `sahut-sync worker` and `run --once` processes, real
 * Redis and PostgreSQL (CRM table and store), the sandbox with faults, and a
 * seeded schedule of SIGKILLs, a record job killed twice in a row, a `run
 * --once` killed and started again, the deployment's Redis keys deleted, the
 * store's connections terminated and CRM rows edited (some committed late),
 * all mid-run. Then clean workers and `run --once` until a run ends with
 * nothing failed or carried; then Sahut must hold exactly the CRM table and
 * every record read must have an outcome.
 *
 * In `npm test`: 300 records. `npm run test:chaos`: 2,400 records, five seeds in
 * a row. CHAOS_SEED replays a seed (printed first), CHAOS_N sets the size,
 * CHAOS_REPEAT the number of seeds (CHAOS_SEED, CHAOS_SEED + 1, …), and
 * CHAOS_SKIP leaves kinds of events out (e.g. `wipe-redis,edit-crm`) to corner a failure.
 */
const N = Number(process.env.CHAOS_N ?? 300);
const BIG = N >= 1000;
const REPEAT = Number(process.env.CHAOS_REPEAT ?? 1);
const FIRST_SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomInt(2 ** 31);
const SETTLING_RUNS = 6;

describe(`chaos: ${N} records, workers and run --once killed, Redis wiped, store cut, CRM edited`, () => {
  for (let i = 0; i < REPEAT; i++) {
    const seed = FIRST_SEED + i;
    it(
      `seed ${seed}: missing / duplicate / wrong / unaccounted = 0 / 0 / 0 / 0`,
      () => chaosRun(seed),
      BIG ? 25 * 60_000 : 170_000,
    );
  }
});

async function chaosRun(seed: number) {
  const began = Date.now();
  const log = (line: string) =>
    console.log(
      `[chaos ${seed} ${new Date().toISOString().slice(11, 23)} +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}`,
    );
  log(`seed ${seed}, ${N} records (replay: CHAOS_SEED=${seed} CHAOS_N=${N})`);
  const random = seededRandom(seed);
  // A record job killed twice is taken over again (2) or audited failed and carried to the next run (1).
  const maxStalls = random() < 0.5 ? '1' : '2';
  const d = await chaosDeployment(N, random, {
    JOB_LOCK_MS: '1500',
    JOB_MAX_STALLS: maxStalls,
    JOB_BACKOFF_MS: '100',
    SHUTDOWN_GRACE_MS: '2000',
    SAHUT_RATE_LIMIT: '300',
    SAHUT_TIMEOUT_MS: '10000',
    WORKER_CONCURRENCY: '4',
  });
  try {
    const { rows } = await d.crm.query(`select * from ${d.crmTable} order by id`);
    const valid = (rows as Record<string, unknown>[])
      .map((row) => prepareRecord({ id: String(row.id), data: row }, d.connection, 'ID'))
      .flatMap((p) => (p.kind === 'ready' ? [p] : []));
    const held = pick(random, valid);
    const skip = new Set((process.env.CHAOS_SKIP ?? '').split(',').filter(Boolean));
    const schedule = chaosSchedule(random, BIG).filter((e) => !skip.has(e.kind));
    log(
      `JOB_MAX_STALLS=${maxStalls}; requests about crm ${held.crmId} held twice; ${describeSchedule(schedule)}`,
    );

    const workers = BIG ? 3 : 2;
    const chaos = createChaos({
      deployment: d,
      random,
      schedule,
      workers,
      expectedPosts: valid.length,
      records: N,
      heldPhone: held.contact.phone as string,
      log,
    });
    let timedOut = true;
    try {
      ({ timedOut } = await chaos.run(BIG ? 10 * 60_000 : 100_000));
    } finally {
      await chaos.stop();
    }
    log(`chaos over: ${chaos.processes.length} processes started; settling`);
    const settledIn = await settle(d, log);
    const v = await judge(d);
    const line = `missing / duplicate / wrong / unaccounted = ${v.missing} / ${v.duplicate} / ${v.wrong} / ${v.unaccounted}`;
    log(line);
    console.log(line);
    const problems = [...v.examples, ...chaos.unexpected, ...chaos.errors.map(String)];
    if (problems.length > 0 || settledIn === null) {
      log(`problems:\n${problems.join('\n')}`);
      log(`runs:\n${describeRuns(await d.store.listRuns({ connection: 'crm', limit: 1000 }))}`);
    }
    expect({
      missing: v.missing,
      duplicate: v.duplicate,
      wrong: v.wrong,
      unaccounted: v.unaccounted,
    }).toEqual({
      missing: 0,
      duplicate: 0,
      wrong: 0,
      unaccounted: 0,
    });
    expect(v.valid).toBe(valid.length);
    expect(settledIn, `a run with nothing failed or carried within ${SETTLING_RUNS} runs`).not.toBeNull();
    expect(chaos.unexpected, 'processes that ended by themselves').toEqual([]);
    expect(chaos.errors.map(String), 'chaos actions that failed').toEqual([]);
    expect(timedOut, 'every chaos event fired and both held searches killed every process').toBe(false);
  } finally {
    await d.dispose();
  }
}

/** Clean workers, then `run --once` until a run ends with nothing failed and nothing carried (bounded). */
async function settle(d: ChaosDeployment, log: (line: string) => void): Promise<number | null> {
  const workers = [spawnCli(['worker'], d.env), spawnCli(['worker'], d.env)];
  try {
    for (let i = 1; i <= SETTLING_RUNS; i++) {
      const { code, output } = await runCli(['run', '--once', '--connection', 'crm'], d.env);
      const [latest] = await d.store.listRuns({ connection: 'crm', limit: 1 });
      const carried = await d.store.listCarried('crm', 'crm-to-sahut', null, 1000);
      log(`settling run ${i}: exit ${code}: ${summaryLine(output)}; ${carried.length} carried`);
      if (code !== 0 && code !== 1) log(`run --once output:\n${output.slice(-3000)}`);
      else if (runSummaries(output).length === 0)
        log(`run --once printed no summary:\n${output.slice(-3000)}`);
      if (latest?.status === 'succeeded' && !latest.counts.failed && carried.length === 0) return i;
    }
    return null;
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
}
