/**
 * The benchmark that holds sahut-sync to its performance model: the real engine
 * (BullMQ on the local Redis, SQLite store, rate-limited Sahut sandbox) run
 * in-process over generated CRM records. Prints one table per scenario and a
 * PASS/WARN line per target; exits non-zero only when a scenario crashes.
 *
 *   node bench/run.ts [--records N] [--rate R] [--concurrency C] [--scenario name]…
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openSyncFixture, type SyncFixture } from './harness/fixture.ts';
import { formatCheck, formatTable, formatTiming } from './harness/table.ts';
import type { BenchOptions, Check, Scenario, SharedState } from './harness/types.ts';
import { changed10pct } from './scenarios/changed-10pct.ts';
import { initial } from './scenarios/initial.ts';
import { memory } from './scenarios/memory.ts';
import { unchanged } from './scenarios/unchanged.ts';

// In this order: unchanged and changed-10pct continue from the state initial leaves.
const SCENARIOS: readonly Scenario[] = [initial, unchanged, changed10pct, memory];
const NAMES = SCENARIOS.map((s) => s.name);

const argsSchema = z.object({
  records: z.coerce.number().int().min(10).max(1_000_000).default(2_000),
  rate: z.coerce.number().int().min(1).max(10_000).default(100),
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  scenario: z
    .array(z.string())
    .default(NAMES)
    .transform((list) => list.flatMap((s) => s.split(',')))
    .pipe(z.array(z.enum(NAMES as [string, ...string[]]))),
  help: z.boolean().default(false),
});

function parseCli(): BenchOptions & { scenarios: Scenario[]; help: boolean } {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n');
    throw new UsageError(`${issues}\nscenarios: ${NAMES.join(', ')}`);
  }
  const { scenario, ...rest } = parsed.data;
  return { ...rest, scenarios: SCENARIOS.filter((s) => scenario.includes(s.name)) };
}

class UsageError extends Error {}

function usage() {
  return [
    'usage: node bench/run.ts [--records N] [--rate R] [--concurrency C] [--scenario name]…',
    '  --records      CRM records per scenario (default 2000; memory also runs 5×N)',
    '  --rate         Sahut rate limit in requests/s, enforced by the sandbox and configured (default 100)',
    '  --concurrency  WORKER_CONCURRENCY of the record worker (default 16)',
    '  --scenario     one of the below, repeatable or comma-separated (default all)',
    ...SCENARIOS.map((s) => `    ${s.name.padEnd(14)} ${s.summary}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const cli = parseCli();
  if (cli.help) {
    console.log(usage());
    return 0;
  }
  const opts: BenchOptions = { records: cli.records, rate: cli.rate, concurrency: cli.concurrency };
  console.log(
    `sahut-sync bench · node ${process.version} · ${cpus().length} cores · N=${opts.records} · ` +
      `R=${opts.rate} req/s · WORKER_CONCURRENCY=${opts.concurrency} · SQLite store`,
  );
  let fixture: Promise<SyncFixture> | undefined;
  const shared: SharedState = { fixture: () => (fixture ??= openSyncFixture(opts)) };
  const checks: Check[] = [];
  let crashed = 0;
  try {
    for (const scenario of cli.scenarios) {
      try {
        const result = await scenario.run(opts, shared);
        console.log(formatTable(`${scenario.name}: ${scenario.summary}`, result.rows));
        for (const note of [...result.notes, ...result.rows.map(formatTiming)]) console.log(`  ${note}`);
        checks.push(...result.checks);
      } catch (err) {
        crashed++;
        console.error(`\n${scenario.name}: CRASHED`, err);
        checks.push({ target: `${scenario.name}: completes`, pass: false, detail: 'crashed (see above)' });
      }
    }
  } finally {
    // A fixture that failed to open has already removed what it made.
    if (fixture)
      await fixture.then(
        (f) => f.engine.close(),
        () => {},
      );
  }
  console.log(`\n${checks.map(formatCheck).join('\n')}`);
  return crashed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${usage()}`);
    else console.error(err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
