import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../src/cli/program.ts';
import type { Sandbox } from '../src/sandbox/index.ts';
import {
  type CliDeployment,
  type CsvCrm,
  cliDeployment,
  csvRow,
  logLines,
  runCli,
  runSummaries,
} from './helpers/cli.ts';
import { API_KEY, REDIS_URL, until } from './helpers/env.ts';

const COMMANDS = [
  'init',
  'doctor',
  'worker',
  'scheduler',
  'run',
  'replay',
  'audit',
  'attention',
  'serve',
  'sandbox',
  'demo',
];

describe('sahut-sync commands', () => {
  let sandbox: Sandbox;
  let crm: CsvCrm;
  let env: Record<string, string>;
  let deployment: CliDeployment;

  beforeAll(async () => {
    deployment = await cliDeployment({ JOB_BACKOFF_MS: '20' });
    ({ sandbox, crm, env } = deployment);
  });

  afterAll(() => deployment.dispose());

  it('has --help on every command', async () => {
    for (const command of COMMANDS) {
      let output = '';
      const program = buildCli();
      for (const c of [program, ...program.commands]) {
        c.exitOverride().configureOutput({ writeOut: (text) => (output += text) });
      }
      await expect(program.parseAsync(['node', 'sahut-sync', command, '--help'])).rejects.toMatchObject({
        code: 'commander.helpDisplayed',
      });
      expect(output, command).toMatch(new RegExp(`^Usage: sahut-sync ${command} \\[options\\]`));
    }
  });

  it('exits 64 on bad usage, 0 for --help and --version, as documented', async () => {
    for (const args of [
      ['bogus'],
      ['audit', '--action', 'bogus'],
      ['run'],
      ['run', '--once', '--direction', 'up'],
    ]) {
      const { code, output } = await runCli(args, env);
      expect(code, args.join(' ')).toBe(64);
      expect(output).toMatch(/error: /);
      expect(output).not.toMatch(/sahut-sync: error/);
    }
    for (const args of [['--help'], ['--version'], ['run', '--help']])
      expect((await runCli(args, env)).code).toBe(0);
  });

  it('replays failed records as a new run, and the audit shows both runs', async () => {
    // Sahut refuses the first two creations: those records fail for good in the first run.
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [422, 422] }] });
    await crm.write(Array.from({ length: 10 }, (_, i) => csvRow(i)));
    const first = await runCli(['run', '--once'], env);
    expect(first.code).toBe(1);
    const [failures] = runSummaries(first.output)[0]?.attention ?? [];
    expect(failures).toMatchObject({ action: 'failed', count: 2 });
    expect(sandbox.contacts()).toHaveLength(8);

    const replay = await runCli(['replay', '--failed'], env);
    expect(replay.output).toMatch(/Replaying 2 failed record\(s\) of crm \(crm-to-sahut\) as run replay-/);
    expect(runSummaries(replay.output)).toEqual([
      expect.objectContaining({ runId: expect.stringMatching(/^replay-/), status: 'succeeded', records: 2 }),
    ]);
    expect(replay.code).toBe(0);
    expect(sandbox.contacts()).toHaveLength(10);
    expect((await runCli(['replay', '--failed'], env)).output).toMatch(/No failed records to replay/);

    const failedId = failures?.records.find((r) => r.reason.startsWith('Sahut rejected'))?.crmId as string;
    const audit = await runCli(['audit', '--crm-id', failedId], env);
    expect(audit.code).toBe(0);
    const lines = audit.output.trim().split('\n');
    expect(lines[0]).toMatch(/^at\s+run\s+direction\s+crm id\s+sahut id\s+action\s+try\s+detail$/);
    // Newest first: created by the replay, after the failure of the first run.
    expect(lines[2]).toMatch(new RegExp(`replay-\\S+\\s+crm-to-sahut\\s+${failedId}\\s+ct_\\w+\\s+created`));
    expect(lines[3]).toMatch(
      new RegExp(`run-\\S+\\s+crm-to-sahut\\s+${failedId}\\s+-\\s+failed\\s+1\\s+Sahut rejected`),
    );

    const json = await runCli(['audit', '--crm-id', failedId, '--action', 'created', '--json'], env);
    const { rows, next_cursor } = JSON.parse(json.output) as { rows: unknown[]; next_cursor: unknown };
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ crmId: failedId, action: 'created', diff: { name: { before: null } } });
    expect(next_cursor).toBeNull();
    expect(json.output).not.toContain(API_KEY);

    // --json pages like the API: next_cursor goes back as --cursor until it is null.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await runCli(
        ['audit', '--limit', '4', '--json', ...(cursor ? ['--cursor', cursor] : [])],
        env,
      );
      const body = JSON.parse(page.output) as { rows: { id: string }[]; next_cursor: string | null };
      seen.push(...body.rows.map((r) => r.id));
      cursor = body.next_cursor;
    } while (cursor !== null && seen.length < 1000);
    const everything = JSON.parse((await runCli(['audit', '--limit', '1000', '--json'], env)).output) as {
      rows: { id: string }[];
    };
    expect(seen).toEqual(everything.rows.map((r) => r.id));
    expect(seen.length).toBeGreaterThan(4);

    // By identity, typed the way an operator has it: the link's normalised phone finds the record.
    const byPhone = await runCli(['audit', '--identity', '0812-1000-003'], env);
    expect(byPhone.output).toMatch(/crm-to-sahut\s+crm-3\s+ct_\w+\s+created/);
    expect(byPhone.output).not.toMatch(/crm-4/);
  });

  it('replays only the failed records, and says which were left out and why', async () => {
    const own = await cliDeployment({ JOB_BACKOFF_MS: '20' });
    try {
      // One batch: two records without phone or email (rejected), one whose phone and email are two
      // different Sahut contacts (ambiguous), and one whose creation Sahut refuses (failed).
      const rows = Array.from({ length: 10 }, (_, i) => csvRow(i));
      rows[1] = { ...csvRow(1), phone: '', email: '' };
      rows[2] = { ...csvRow(2), phone: '', email: '' };
      own.sandbox.seed([
        { name: 'Phone twin', phone: '+628121000003' },
        { name: 'Email twin', email: 'customer3@example.com' },
      ]);
      own.sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [422] }] });
      await own.crm.write(rows);
      const first = await runCli(['run', '--once'], own.env);
      expect(runSummaries(first.output)[0]?.counts).toMatchObject({ rejected: 2, ambiguous: 1, failed: 1 });

      const replay = await runCli(['replay', '--failed'], own.env);
      const said = logLines(replay.output).map((l) => l.msg);
      expect(said).toContainEqual(
        expect.stringMatching(/^Replaying 1 failed record\(s\) of crm \(crm-to-sahut\)/),
      );
      const leftOut =
        'Left out 2 rejected and 1 ambiguous record(s), which a replay would end the same way: fix a ' +
        'rejected record in the CRM (the next run reads it again); settle an ambiguous one with sahut-sync attention.';
      expect(said).toContain(leftOut);
      expect(logLines(replay.output).find((l) => l.msg === leftOut)).toMatchObject({
        leftOut: { rejected: 2, ambiguous: 1 },
      });
      expect(runSummaries(replay.output)).toEqual([
        expect.objectContaining({ status: 'succeeded', records: 1, counts: { created: 1 } }),
      ]);
      expect(replay.code).toBe(0);

      // The records left out stay with their job: a second replay has nothing to do, and says so.
      const again = await runCli(['replay', '--failed'], own.env);
      expect(logLines(again.output).map((l) => l.msg)).toEqual(['No failed records to replay.', leftOut]);
      expect(again.code).toBe(0);
    } finally {
      await own.dispose();
    }
  });

  it('runs the quick-start demo to a summary with contacts created', async () => {
    const { code, output } = await runCli(['demo'], { REDIS_URL });
    expect(code).toBe(0);
    expect(runSummaries(output)).toEqual([
      expect.objectContaining({ connection: 'demo', status: 'succeeded', records: 60 }),
      expect.objectContaining({ connection: 'demo', status: 'succeeded', records: 60 }),
    ]);
    expect(output).toMatch(/Sahut API calls: 1 \(PUT \/contacts\/:id: 1\)/);
    expect(output).toMatch(/The sandbox now holds [1-9]\d* contacts/);
  });

  it('refuses to start when Redis is unreachable', async () => {
    const port = await closedPort();
    const { code, output } = await runCli(['worker'], {
      ...env,
      REDIS_URL: `redis://:hunter2pass@127.0.0.1:${port}`,
    });
    expect(code).toBe(69);
    expect(output).toMatch(new RegExp(`Redis is unreachable at redis://:\\*\\*\\*@127.0.0.1:${port}`));
    expect(output).not.toContain('hunter2pass');
  });

  it('refuses a Redis that may evict jobs', async () => {
    const port = await closedPort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--save', '', '--maxmemory-policy', 'allkeys-lru'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await until(() => canConnect(port), 10_000, 'a private redis-server');
      const { code, output } = await runCli(['worker'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
      expect(code).toBe(69);
      expect(logLines(output).map((l) => l.msg)).toEqual([
        expect.stringMatching(/maxmemory-policy "allkeys-lru".*Set it to noeviction/),
      ]);
    } finally {
      redis.kill();
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
