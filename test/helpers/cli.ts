import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildCli } from '../../src/cli/program.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { MAPPING_YAML } from './engine.ts';
import { API_KEY, deletePrefix, privateStore, REDIS_URL, uniqueName } from './env.ts';

/** The CLI's entry point, run by the same Node as the tests. */
export const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/**
 * What of an argv (`crm install-trigger --connection crm --print`) the real CLI does not know,
 * checked without running it: the command, its subcommands, each option (not their values).
 * A word `link|create` names alternatives, whose options all count; past the last subcommand
 * named, so do the options of those below it (one of them is the default).
 */
export function unknownArgs(argv: readonly string[]): string[] {
  let commands: Command[] = [buildCli()];
  let at = 0;
  for (; at < argv.length; at++) {
    const names = argv[at]?.split('|') ?? [];
    const subs = commands.flatMap((c) => c.commands).filter((c) => names.includes(c.name()));
    if (subs.length === 0) break;
    commands = subs;
  }
  if (at === 0) return [`unknown command ${argv[0]}`];
  const name = argv.slice(0, at).join(' ');
  const known = new Set(
    commands.flatMap((c) => [c, ...c.commands]).flatMap((c) => c.options.flatMap((o) => [o.long, o.short])),
  );
  known.add('--help').add('-h');
  return argv
    .slice(at)
    .filter((arg) => arg.startsWith('-'))
    .map((arg) => arg.split('=')[0] ?? arg)
    .filter((option) => !known.has(option))
    .map((option) => `${name}: unknown option ${option}`);
}

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `sahut-sync <args>` as a real process (the same Node as the tests), with only the given env. */
export function spawnCli(args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, output: () => out, exited };
}

export async function runCli(args: readonly string[], env: Record<string, string>) {
  const p = spawnCli(args, env);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

/** A JSON log line of a command's output (off a terminal, every line of stdout is one). */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** The JSON log lines of a command's output, in order; other lines (commander's usage errors) are skipped. */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** A `run summary` log line: what a run --once or a replay reports of each run off a terminal. */
export interface RunSummary extends LogLine {
  runId: string;
  connection: string;
  direction: string;
  status: string;
  records: number;
  counts: Record<string, number>;
  attention: { action: string; count: number; records: { crmId: string; reason: string }[]; more?: string }[];
}

export function runSummaries(output: string): RunSummary[] {
  return logLines(output).filter((l): l is RunSummary => l.msg === 'run summary');
}

export interface CsvCrm {
  dir: string;
  configPath: string;
  csvPath: string;
  write(rows: readonly Record<string, string>[]): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A connections file with one `crm` connection reading a CSV export, in a temp
 * folder: what an operator sets up for a cron import.
 */
export async function csvCrm(extra = ''): Promise<CsvCrm> {
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-cli-'));
  const csvPath = join(dir, 'contacts.csv');
  const configPath = join(dir, 'sahut-sync.yaml');
  await writeFile(join(dir, 'mapping.yaml'), MAPPING_YAML);
  await writeFile(
    configPath,
    `connections:\n  crm:\n    source: { type: file, path: contacts.csv, format: csv }\n    mapping: mapping.yaml\n${extra}`,
  );
  const columns = ['id', 'name', 'phone', 'email', 'company', 'tags', 'tier'];
  return {
    dir,
    configPath,
    csvPath,
    async write(rows) {
      const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      const lines = rows.map((r) => columns.map((c) => quote(r[c] ?? '')).join(','));
      await writeFile(csvPath, `${columns.join(',')}\n${lines.join('\n')}\n`);
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export function csvRow(i: number): Record<string, string> {
  return {
    id: `crm-${i}`,
    name: `Customer ${i}`,
    phone: `0812${String(1_000_000 + i).padStart(7, '0')}`,
    email: `customer${i}@example.com`,
    company: `Company ${i % 5}`,
    tags: 'crm',
    tier: 'gold',
  };
}

export interface CliDeployment {
  sandbox: Sandbox;
  crm: CsvCrm;
  /** The environment a `sahut-sync` process of this deployment runs with. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * The environment of a `sahut-sync` process against the sandbox at `baseUrl`, on the local
 * Redis under a private queue prefix (named after `label`), with the given store and config.
 */
export function cliEnv(opts: {
  storeEnv: Record<string, string>;
  baseUrl: string;
  label: string;
  configPath: string;
}): Record<string, string> & { QUEUE_PREFIX: string } {
  return {
    ...opts.storeEnv,
    SAHUT_BASE_URL: opts.baseUrl,
    SAHUT_API_KEY: API_KEY,
    SAHUT_RATE_LIMIT: '1000',
    REDIS_URL,
    QUEUE_PREFIX: uniqueName(opts.label),
    SYNC_CONFIG: opts.configPath,
  };
}

/**
 * What an operator has before running the CLI: Sahut (the sandbox), a CSV
 * connection, a SQLite store file and a private queue prefix on the local Redis.
 */
export async function cliDeployment(extraEnv: Record<string, string> = {}): Promise<CliDeployment> {
  const { sandbox, baseUrl } = await startSandbox({ apiKey: API_KEY });
  const crm = await csvCrm();
  const store = await privateStore('sqlite');
  await store.store.close();
  const env = {
    ...cliEnv({ storeEnv: store.env, baseUrl, label: 'cli', configPath: crm.configPath }),
    ...extraEnv,
  };
  return {
    sandbox,
    crm,
    env,
    async dispose() {
      await sandbox.close();
      await crm.dispose();
      await store.dispose();
      await deletePrefix(env.QUEUE_PREFIX);
    },
  };
}

/** A command's output as a person reads it: each JSON log line becomes the strings it holds, one per line. */
export function readable(output: string): string {
  const strings = (v: unknown): string[] =>
    typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
  return output
    .split('\n')
    .flatMap((l) => (l.startsWith('{') ? strings(JSON.parse(l)) : [l]))
    .join('\n');
}
