import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CliDeployment,
  cliDeployment,
  csvRow,
  type LogLine,
  MAIN,
  runCli,
  runSummaries,
} from './helpers/cli.ts';
import { until } from './helpers/env.ts';
import { hasPeer } from './helpers/peers.ts';
import { startInTmux, TMUX, type TmuxPane } from './helpers/tmux.ts';

const NO_IDENTITY =
  'no phone or email to match on; set options.createWithoutIdentity: true to create such records';
// The bar exactly as drawn, with nothing glued before or after it (`?`: the run's size is not known yet).
const BAR_LINE = /^crm crm-to-sahut \[[█░]+\] \d+\/(\d+|\?) records \| \d+ rec\/s \| \S+$/;
const hasBar = (line: string) => /[█░]{3,}/.test(line);
const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

/** 60 records: two rejected by the record job (no phone or email), one when read (invalid phone). */
function rowsWithRejects() {
  const rows = Array.from({ length: 60 }, (_, i) => csvRow(i));
  rows[10] = { ...csvRow(10), phone: '', email: '' };
  rows[20] = { ...csvRow(20), phone: '', email: '' };
  rows[30] = { ...csvRow(30), phone: '12345' };
  return rows;
}

/**
 * Waits for the command in `pane` to end, looking at every screen on the way: returns its exit
 * status, the last screen, and each row seen while it ran that holds a piece of a bar.
 */
async function watch(pane: TmuxPane, onScreen: (rows: string[]) => Promise<void> | void = () => {}) {
  const bars: string[] = [];
  let status: number | undefined;
  await until(
    async () => {
      status = await pane.exitStatus();
      const rows = await pane.capture();
      bars.push(...rows.filter(hasBar));
      await onScreen(rows);
      return status !== undefined;
    },
    60_000,
    'the command to end in tmux',
  );
  const screen = (await pane.capture()).filter((l) => !l.startsWith('Pane is dead'));
  return { status, screen, bars, shown: `screen:\n${screen.join('\n')}` };
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

    // Every screen seen while the command runs, not only the last one, keeps the bar whole; until
    // the run's size is known the bar is empty, never a full bar over 0/0.
    const { status, screen, bars: seen, shown } = await watch(pane);
    expect(
      seen.filter((line) => !BAR_LINE.test(line)),
      shown,
    ).toEqual([]);
    expect(
      seen.filter((line) => / 0\/0 records/.test(line) || (/\/\? records/.test(line) && /█/.test(line))),
    ).toEqual([]);
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

  it('piped into tee, draws no bar: the terminal and the file get the same JSON lines, progress among them', async () => {
    const { crm, env } = deployment;
    await crm.write(rowsWithRejects());
    const file = join(crm.dir, 'run.log');
    // stderr is still the terminal: only stdout goes through the pipe.
    const command = `'${process.execPath}' '${MAIN}' run --once | tee '${file}'`;
    pane = await startInTmux(crm.dir, ['sh', '-c', command], {
      ...env,
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
    });

    const { bars, shown } = await watch(pane);
    expect(bars, shown).toEqual([]);
    const screen = (await pane.capture({ joined: true })).filter((l) => l && !l.startsWith('Pane is dead'));
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    // Nothing glued: each line on the terminal is one whole JSON line, the file's.
    expect(
      screen.filter((l) => !isJson(l)),
      shown,
    ).toEqual([]);
    expect(screen).toEqual(lines);

    const logged = lines.map((l) => JSON.parse(l) as LogLine);
    const progress = logged.filter((l) => l.msg.startsWith('crm crm-to-sahut: '));
    expect(progress.length, shown).toBeGreaterThan(0);
    for (const line of progress) {
      expect(line.msg).toMatch(/^crm crm-to-sahut: \d+\/(\d+|\?) records$/);
      expect(line).toMatchObject({ level: 30, done: expect.any(Number), ratePerSec: expect.any(Number) });
    }
    expect(logged.filter((l) => l.msg === 'run summary')).toEqual([
      expect.objectContaining({ status: 'succeeded', records: 60, counts: { created: 57, rejected: 3 } }),
    ]);
  });

  it('after the terminal shrinks from 120 to 60 columns, the bar leaves no fragment behind', async () => {
    const { crm, env } = deployment;
    await crm.write(Array.from({ length: 150 }, (_, i) => csvRow(i)));
    // As from a shell: its command line is above. (Alone on the terminal's first row, a line that
    // tmux reflows loses its first half to the scrollback, out of any program's reach.)
    const prompt = ['sh', '-c', 'echo "$ sahut-sync run --once" && exec "$@"', 'sh'];
    pane = await startInTmux(
      crm.dir,
      [...prompt, process.execPath, MAIN, 'run', '--once'],
      { ...env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      { columns: 120, rows: 40 },
    );

    // Shrunk while the bar is drawn: its frame is 80-odd columns wide, the terminal then 60.
    let wide: string | undefined;
    const { status, screen, bars, shown } = await watch(pane, async (rows) => {
      wide ??= rows.find((row) => BAR_LINE.test(row) && !/ 0\/\S+ records/.test(row));
      if (wide && pane) await pane.resize({ columns: 60, rows: 40 });
    });
    expect(wide?.length, shown).toBeGreaterThan(60);
    expect(status, shown).toBe(0);
    // Whatever screen was seen, every row holding a piece of a bar held a whole bar.
    expect(
      bars.filter((row) => !BAR_LINE.test(row)),
      shown,
    ).toEqual([]);
    const left = screen.filter(hasBar);
    expect(left, shown).toHaveLength(1);
    expect(left[0], shown).toMatch(/ 150\/150 records /);
    expect((left[0] as string).length).toBeLessThan(60);
  });

  it('prints an entry with an error on one line, the error in it', async () => {
    const { sandbox, crm, env } = deployment;
    await crm.write([csvRow(0)]);
    // Sahut never answers the POST: the record's one attempt fails, a warning with its error.
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', every: 1, action: 503 }] });
    pane = await startInTmux(crm.dir, [process.execPath, MAIN, 'run', '--once'], {
      ...env,
      JOB_ATTEMPTS: '1',
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
    });

    const { status, shown } = await watch(pane);
    expect(status, shown).toBe(1);
    // A line the terminal wrapped is one line here: what counts is where the program broke lines.
    const lines = await pane.capture({ joined: true });
    const warnings = lines.filter((l) => / WARN: /.test(l));
    expect(warnings, shown).toEqual([
      expect.stringMatching(
        /^\[[\d:.]+\] WARN: record failed; retries exhausted \{.*"crmId":"crm-0".*"err":"[^"]+/,
      ),
    ]);
    expect(lines[lines.indexOf(warnings[0] as string) + 1], shown).not.toMatch(/^\s/);
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
    expect(runSummaries(output)[0]?.attention).toEqual([
      { action: 'failed', count: 1, records: [{ crmId: 'crm-0', reason: expect.any(String) }] },
      {
        action: 'rejected',
        count: 1,
        records: [{ crmId: 'crm-1', reason: expect.stringMatching(/^no phone or email/) }],
      },
    ]);
  });
});
