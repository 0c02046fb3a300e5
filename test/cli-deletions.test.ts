import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliDeployment, cliDeployment, csvRow, runCli, runSummaries } from './helpers/cli.ts';

/**
 * The deletion guard as an operator meets it from cron: a full export that arrives empty
 * fails the run with the guard's message and exit 1, touching nothing; `--allow-deletes`
 * confirms, and the summary counts what was deleted.
 */
describe('sahut-sync run --once and deletions', () => {
  let deployment: CliDeployment;

  beforeEach(async () => {
    deployment = await cliDeployment();
    const config = await readFile(deployment.crm.configPath, 'utf8');
    await writeFile(
      deployment.crm.configPath,
      config.replace('format: csv }', 'format: csv, fullExport: true }'),
    );
  });
  afterEach(() => deployment.dispose());

  it('an empty full export trips the guard (exit 1, nothing tagged); --allow-deletes then deletes', async () => {
    const { crm, env, sandbox } = deployment;
    await crm.write(Array.from({ length: 60 }, (_, i) => csvRow(i)));
    expect((await runCli(['run', '--once'], env)).code).toBe(0);
    const before = sandbox.contacts();

    await crm.write([]);
    const tripped = await runCli(['run', '--once'], env);
    expect(tripped.code).toBe(1);
    const [summary] = runSummaries(tripped.output);
    expect(summary).toMatchObject({ status: 'failed' });
    expect(String(summary?.note)).toMatch(/^deletion guard: 60 of the 60 links of crm are gone/);
    expect(sandbox.contacts()).toEqual(before);

    // Not enough allowed: the guard holds.
    expect((await runCli(['run', '--once', '--allow-deletes', '59'], env)).code).toBe(1);
    expect(sandbox.contacts()).toEqual(before);

    const confirmed = await runCli(['run', '--once', '--allow-deletes', '60'], env);
    expect(confirmed.code).toBe(0);
    expect(runSummaries(confirmed.output)[0]).toMatchObject({ status: 'succeeded', counts: { deleted: 60 } });
    // The mapping has no constant tags: the CRM's own tag stays, the marker is added.
    expect(sandbox.contacts().map((c) => c.tags)).toEqual(before.map(() => ['crm', 'crm-deleted']));
    expect(sandbox.contacts().map((c) => c.id)).toEqual(before.map((c) => c.id));
  });
});
