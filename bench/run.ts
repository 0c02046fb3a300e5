/**
 * The benchmark that holds sahut-sync to its performance model: the real engine
 * (in-process, or as `sahut-sync` processes) against the Sahut stand-in, on the
 * bench's own Redis. Prints a table per scenario and a PASS/WARN/SKIP line per
 * target; exits non-zero only when a scenario crashes. `--help` lists the options.
 */
import { writeFile } from 'node:fs/promises';
import { openSyncFixture, type SyncFixture } from './harness/fixture.ts';
import { parseCli, UsageError, usage } from './harness/options.ts';
import { startRedis } from './harness/redis.ts';
import { describeMachine } from './harness/report.ts';
import { formatCheck, formatProcesses, formatTable, formatTiming } from './harness/table.ts';
import type { BenchOptions, Check, Scenario, ScenarioResult, SharedState } from './harness/types.ts';
import { changed10pct } from './scenarios/changed-10pct.ts';
import { e2e } from './scenarios/e2e.ts';
import { initial } from './scenarios/initial.ts';
import { latency } from './scenarios/latency.ts';
import { memory } from './scenarios/memory.ts';
import { naive } from './scenarios/naive.ts';
import { sahutScan } from './scenarios/sahut-scan.ts';
import { scanInitial } from './scenarios/scan-initial.ts';
import { scanShare } from './scenarios/scan-share.ts';
import { unchanged } from './scenarios/unchanged.ts';

const SCENARIOS: readonly Scenario[] = [
  initial,
  unchanged,
  changed10pct,
  memory,
  naive,
  latency(20),
  latency(50),
  latency(200),
  sahutScan,
  scanShare,
  scanInitial,
  e2e,
];

type Outcome = {
  name: string;
  summary: string;
  status: 'ran' | 'crashed';
  error?: string;
} & Partial<ScenarioResult>;

function print(scenario: Scenario, result: ScenarioResult) {
  if (result.rows.length) console.log(formatTable(`${scenario.name}: ${scenario.summary}`, result.rows));
  else console.log(`\n${scenario.name}: ${scenario.summary}`);
  const timings = result.rows.map(formatTiming).filter((t) => t !== undefined);
  for (const note of [...result.notes, ...result.rows.map(formatProcesses), ...timings])
    console.log(`  ${note}`);
}

async function main(): Promise<number> {
  const cli = parseCli(SCENARIOS);
  if (cli.help) {
    console.log(usage(SCENARIOS));
    return 0;
  }
  const machine = describeMachine(cli.opts);
  console.log(machine.line);
  const redis = await startRedis();
  const opts: BenchOptions = { ...cli.opts, redis: { url: redis.url, pid: redis.pid } };
  let fixture: Promise<SyncFixture> | undefined;
  const shared: SharedState = { fixture: () => (fixture ??= openSyncFixture(opts)) };
  const checks: Check[] = [];
  const outcomes: Outcome[] = [];
  try {
    for (const scenario of cli.scenarios) {
      const { name, summary } = scenario;
      try {
        const result = await scenario.run(opts, shared);
        print(scenario, result);
        checks.push(...result.checks);
        outcomes.push({ name, summary, status: 'ran', ...result });
      } catch (err) {
        console.error(`\n${name}: CRASHED`, err);
        checks.push({ target: `${name}: completes`, verdict: 'WARN', detail: 'crashed (see above)' });
        outcomes.push({ name, summary, status: 'crashed', error: String(err) });
      }
    }
  } finally {
    // A fixture that failed to open has already removed what it made.
    if (fixture) await fixture.then((f) => f.engine.close()).catch(() => {});
    await redis.close();
  }
  console.log(`\n${checks.map(formatCheck).join('\n')}`);
  if (cli.json) {
    const report = { ...machine.json, finishedLoad: machine.load(), scenarios: outcomes, checks };
    await writeFile(cli.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nresults written to ${cli.json}`);
  }
  return outcomes.some((o) => o.status === 'crashed') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${usage(SCENARIOS)}`);
    else console.error(err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
