import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
import { API_KEY } from './helpers/env.ts';
import { sparePort } from './helpers/redis-topology.ts';

describe('sahut-sync run --once (cron mode)', () => {
  let sandbox: Sandbox;
  let crm: CsvCrm;
  let env: Record<string, string>;
  let deployment: CliDeployment;

  beforeEach(async () => {
    deployment = await cliDeployment({ SAHUT_RATE_LIMIT: '5000', WORKER_CONCURRENCY: '32' });
    ({ sandbox, crm, env } = deployment);
  });

  afterEach(() => deployment.dispose());

  it('syncs 5,000 records, logs the summary and exits 0; off a terminal every line is JSON', async () => {
    await crm.write(Array.from({ length: 5000 }, (_, i) => csvRow(i)));
    const { code, output } = await runCli(
      ['run', '--once', '--connection', 'crm', '--direction', 'crm-to-sahut'],
      { ...env, LOG_FORMAT: 'auto' },
    );

    expect(
      output
        .trimEnd()
        .split('\n')
        .filter((l) => !l.startsWith('{')),
    ).toEqual([]);
    // `records` is what the run read; the counts hold the actions that happened.
    expect(runSummaries(output)).toEqual([
      expect.objectContaining({
        connection: 'crm',
        direction: 'crm-to-sahut',
        status: 'succeeded',
        records: 5000,
        counts: { created: 5000 },
        attention: [],
      }),
    ]);
    expect(code).toBe(0);
    expect(sandbox.contacts()).toHaveLength(5000);
    expect(output).not.toContain(API_KEY);
  });

  it('exits 1 and names the invalid record, in the summary line off a terminal', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => csvRow(i));
    rows[17] = { ...csvRow(17), phone: '12345' };
    await crm.write(rows);
    const { code, output } = await runCli(['run', '--once'], env);

    expect(code).toBe(1);
    expect(runSummaries(output)[0]?.attention).toEqual([
      {
        action: 'rejected',
        count: 1,
        records: [{ crmId: 'crm-17', reason: expect.stringMatching(/phone.*12345/) }],
      },
    ]);
    expect(sandbox.contacts()).toHaveLength(49);
  });

  it('prints the summary as a table for a person (pretty logs)', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => csvRow(i));
    rows[17] = { ...csvRow(17), phone: '12345' };
    await crm.write(rows);
    const { code, output } = await runCli(['run', '--once'], { ...env, LOG_FORMAT: 'pretty' });

    expect(code).toBe(1);
    // Only the actions that happened get a column.
    expect(output).toMatch(/^run\s+connection\s+direction\s+status\s+records\s+created\s+rejected$/m);
    expect(output).toMatch(/crm\s+crm-to-sahut\s+succeeded\s+50\s+49\s+1$/m);
    expect(output).toMatch(/^1 rejected in run-\S+:\n {2}crm crm-17: invalid phone "12345"/m);
  });

  it('prints the plan with --dry-run and writes nothing', async () => {
    sandbox.seed([
      { name: 'Customer 1', phone: '+628121000001', email: 'customer1@example.com', company: 'Old' },
    ]);
    await crm.write([csvRow(0), csvRow(1)]);
    const { code, output } = await runCli(['run', '--once', '--dry-run'], env);

    expect(code).toBe(0);
    expect(output).toMatch(/create\s+crm crm-0\s+name: null → "Customer 0"/);
    expect(output).toMatch(
      /link\s+crm crm-1 → ct_\w+\s+company: "Old" → "Company 1"; tags: \[\] → \["crm"\]/,
    );
    expect(output).toMatch(/plan: 1 created, 1 linked/);
    expect(sandbox.contacts()).toHaveLength(1);
    expect(sandbox.counts()['POST /contacts'] ?? 0).toBe(0);
    expect(sandbox.counts()['PUT /contacts/:id'] ?? 0).toBe(0);
  });

  it('fails at start-up with a message naming a bad setting', async () => {
    const { code, output } = await runCli(['run', '--once'], { ...env, WORKER_CONCURRENCY: 'many' });
    expect(code).toBe(78);
    expect(output).toMatch(/WORKER_CONCURRENCY: expected number/);
  });

  it('off a terminal, a store unreachable at start-up is one JSON line (exit 70)', async () => {
    const port = await sparePort();
    const password = 'store-pass-4Kd9';
    const { code, output } = await runCli(['run', '--once'], {
      ...env,
      LOG_FORMAT: 'auto',
      DATABASE_URL: `postgres://sync:${password}@127.0.0.1:${port}/crm`,
    });

    expect(code).toBe(70);
    const lines = output.trimEnd().split('\n');
    expect(lines, output).toHaveLength(1);
    expect(logLines(output)).toEqual([
      expect.objectContaining({ level: 60, exitCode: 70, msg: expect.stringMatching(/ECONNREFUSED/) }),
    ]);
    expect(output).not.toContain(password);
  });
});
