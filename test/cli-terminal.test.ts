import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliDeployment, cliDeployment, csvRow, MAIN, runCli } from './helpers/cli.ts';
import { until } from './helpers/env.ts';
import { hasPeer } from './helpers/peers.ts';
import { startInTmux, TMUX, type TmuxPane } from './helpers/tmux.ts';

const NO_IDENTITY =
  'no phone or email to match on; set options.createWithoutIdentity: true to create such records';
// The bar exactly as drawn, with nothing glued before or after it.
const BAR_LINE = /^crm crm-to-sahut \[[█░]+\] \d+\/\d+ records \| \d+ rec\/s \| \S+$/;
const hasBar = (line: string) => /\[[█░]{5,}\]/.test(line);

/** 60 records: two rejected by the record job (no phone or email), one when read (invalid phone). */
function rowsWithRejects() {
  const rows = Array.from({ length: 60 }, (_, i) => csvRow(i));
  rows[10] = { ...csvRow(10), phone: '', email: '' };
  rows[20] = { ...csvRow(20), phone: '', email: '' };
  rows[30] = { ...csvRow(30), phone: '12345' };
  return rows;
}

describe.skipIf(!hasPeer(TMUX, 'tmux'))('run --once on a terminal (tmux, 140×40)', () => {
  let deployment: CliDeployment;
  let pane: TmuxPane | undefined;

  beforeEach(async () => {
    // A rate low enough that the bar is on screen for a few seconds while lines are logged.
    deployment = await cliDeployment({
      SAHUT_RATE_LIMIT: '60',
      SAHUT_MAX_RETRIES: '0',
      JOB_BACKOFF_MS: '50',
      LOG_LEVEL: 'info',
    });
  });

  afterEach(async () => {
    await pane?.dispose();
    await deployment.dispose();
  });

  it('prints log lines above the bar and leaves the summary whole', async () => {
    const { sandbox, crm, env } = deployment;
    await crm.write(rowsWithRejects());
    // The first search gets a 503 and the client does not retry it (SAHUT_MAX_RETRIES=0): the
    // record's job is retried (an info line), then the record is created.
    sandbox.setFaults({ rules: [{ route: 'GET /contacts', script: [503] }] });
    pane = await startInTmux(crm.dir, [process.execPath, MAIN, 'run', '--once'], {
      ...env,
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
    });

    // Every screen seen while the command runs, not only the last one, keeps the bar whole.
    const glued: string[] = [];
    let status: number | undefined;
    await until(
      async () => {
        status = await pane?.exitStatus();
        for (const line of (await pane?.capture()) ?? []) {
          if (hasBar(line) && !BAR_LINE.test(line)) glued.push(line);
        }
        return status !== undefined;
      },
      40_000,
      'run --once to end in tmux',
    );
    const screen = (await pane.capture()).filter((l) => !l.startsWith('Pane is dead'));
    const shown = `screen:\n${screen.join('\n')}`;
    expect(glued, shown).toEqual([]);
    expect(status, shown).toBe(1);

    const bars = screen.filter(hasBar);
    expect(bars, shown).toHaveLength(1);
    expect(bars[0], shown).toMatch(/ 60\/60 records /);
    const barAt = screen.indexOf(bars[0] as string);

    // Log lines are above the bar, at info: an outcome and a retried attempt are not warnings.
    const logs = screen.slice(0, barAt).filter((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+:/.test(l));
    expect(
      logs.filter((l) => l.includes('INFO: record rejected')),
      shown,
    ).toHaveLength(2);
    expect(
      logs.filter((l) => l.includes('INFO: attempt failed; will retry')),
      shown,
    ).toHaveLength(1);
    expect(
      screen.filter((l) => /\b(WARN|ERROR)\b/.test(l)),
      shown,
    ).toEqual([]);

    // The summary table, right below the bar, header and rows intact (one row per line).
    const [header = '', rule = '', row = '', after = ''] = screen.slice(barAt + 1);
    const columns = header.split(/\s+/);
    expect(columns.slice(0, 5), shown).toEqual(['run', 'connection', 'direction', 'status', 'records']);
    expect(
      rule.split(/\s+/).every((dashes) => /^-+$/.test(dashes)),
      shown,
    ).toBe(true);
    expect(rule.split(/\s+/)).toHaveLength(columns.length);
    const cells = row.split(/\s+/);
    expect(cells, shown).toHaveLength(columns.length);
    const byColumn = Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
    expect(byColumn, shown).toMatchObject({
      connection: 'crm',
      direction: 'crm-to-sahut',
      status: 'succeeded',
      records: '60',
      created: '57',
      rejected: '3',
    });
    expect(after, shown).toBe('');

    // Each rejected record on a line of its own, with its whole reason and nothing else.
    const runId = byColumn.run as string;
    const listed = screen.slice(screen.indexOf(`3 rejected in ${runId}:`) + 1).slice(0, 3);
    expect([...listed].sort(), shown).toEqual([
      `  crm crm-10: ${NO_IDENTITY}`,
      `  crm crm-20: ${NO_IDENTITY}`,
      '  crm crm-30: invalid phone "12345": not a valid number for region ID',
    ]);
    expect(sandbox.statusCounts()['GET /contacts']?.['503']).toBe(1);
  });
});

describe('log levels of record outcomes in JSON mode', () => {
  let deployment: CliDeployment;

  beforeEach(async () => {
    deployment = await cliDeployment({ JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '10', LOG_LEVEL: 'trace' });
  });

  afterEach(() => deployment.dispose());

  it('logs a rejected record at info and a record whose retries ran out at warn', async () => {
    const { sandbox, crm, env } = deployment;
    await crm.write([csvRow(0), { ...csvRow(1), phone: '', email: '' }]);
    // Sahut never accepts the POST: crm-0 fails on both of its attempts.
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', every: 1, action: 503 }] });
    const { code, output } = await runCli(['run', '--once'], env);
    expect(code).toBe(1);

    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; crmId?: string });
    const about = (crmId: string) =>
      lines.filter((l) => l.crmId === crmId && l.level >= 30).map((l) => [l.level, l.msg]);
    expect(about('crm-1')).toEqual([[30, 'record rejected']]);
    expect(about('crm-0')).toEqual([
      [30, 'attempt failed; will retry'],
      [40, 'record failed; retries exhausted'],
    ]);
    // Nothing else asks an operator to act.
    expect(lines.filter((l) => l.level >= 40)).toHaveLength(1);
    expect(output).toMatch(/1 rejected in run-\S+:\n {2}crm crm-1: no phone or email/);
    expect(output).toMatch(/1 failed in run-\S+:\n {2}crm crm-0: /);
  });
});
