import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { BenchOptions, Scenario } from './types.ts';

export class UsageError extends Error {}

const count = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const OPTIONS = {
  records: ['CRM records of initial, unchanged, changed-10pct and memory (memory also runs 5×N)', '2000'],
  rate: ["Sahut's limit in requests/s, enforced by the stand-in and configured", '100'],
  concurrency: ['WORKER_CONCURRENCY everywhere', "the deployment's, 8"],
  'naive-records': ['records of the naive script (its pace is steady: 300 take 30 s)', '300'],
  'naive-run-records': ['rows of the run --once the naive script is compared with', '3000'],
  'latency-records': ['records of each latency-* scenario', '3000'],
  'scan-records': ['N of scan-initial, run at N/10 and N; 100000 is the target size', '10000'],
  'scan-contacts': ['M of sahut-scan, run at M/10 and M', '100000'],
  'e2e-records': ['rows of the CRM table in e2e', '20000'],
  workers: ['`sahut-sync worker` processes beside `run --once` (e2e, scan-initial)', '3'],
  json: ['also write the results as JSON to this file', 'none'],
} as const;

const argsSchema = z.object({
  records: count(10, 1_000_000, 2_000),
  rate: count(1, 10_000, 100),
  concurrency: z.coerce.number().int().min(1).max(256).optional(),
  'naive-records': count(10, 100_000, 300),
  'naive-run-records': count(10, 1_000_000, 3_000),
  'latency-records': count(10, 1_000_000, 3_000),
  'scan-records': count(100, 1_000_000, 10_000),
  'scan-contacts': count(1_000, 1_000_000, 100_000),
  'e2e-records': count(100, 1_000_000, 20_000),
  workers: count(0, 16, 3),
  json: z.string().min(1).optional(),
  scenario: z.array(z.string()).optional(),
  help: z.boolean().default(false),
});

export interface Cli {
  opts: Omit<BenchOptions, 'redis'>;
  scenarios: Scenario[];
  json: string | undefined;
  help: boolean;
}

export function parseCli(all: readonly Scenario[], argv = process.argv.slice(2)): Cli {
  const names = all.map((s) => s.name);
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' as const }])),
      scenario: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const a = parsed.data;
  const chosen = (a.scenario ?? names).flatMap((s) => s.split(','));
  const unknown = chosen.filter((s) => !names.includes(s));
  if (unknown.length)
    throw new UsageError(`unknown scenario ${unknown.join(', ')}; known: ${names.join(', ')}`);
  return {
    opts: {
      records: a.records,
      rate: a.rate,
      concurrency: a.concurrency,
      naiveRecords: a['naive-records'],
      naiveRunRecords: a['naive-run-records'],
      latencyRecords: a['latency-records'],
      scanRecords: a['scan-records'],
      scanContacts: a['scan-contacts'],
      e2eRecords: a['e2e-records'],
      workers: a.workers,
    },
    // Always in the listed order: unchanged and changed-10pct continue from initial.
    scenarios: all.filter((s) => chosen.includes(s.name)),
    json: a.json,
    help: a.help,
  };
}

export function usage(all: readonly Scenario[]): string {
  return [
    'usage: npm run bench -- [--scenario name]… [options]',
    ...Object.entries(OPTIONS).map(([k, [what, def]]) => `  --${k.padEnd(16)} ${what} (default ${def})`),
    '  --scenario         one of the below, repeatable or comma-separated (default all)',
    ...all.map((s) => `    ${s.name.padEnd(14)} ${s.summary}`),
  ].join('\n');
}
