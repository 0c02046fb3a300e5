import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/cli/progress.ts';
import type { Frame, Screen } from '../src/cli/screen.ts';
import { capturingLogger } from './helpers/log-capture.ts';

/** The screen of a terminal: it keeps the bar's frame, which it asks for at each redraw. */
function terminal() {
  let frame: Frame | undefined;
  const screen: Screen = {
    isTTY: true,
    write() {},
    startBar(f) {
      frame = f;
      return { stop() {} };
    },
  };
  return { screen, draw: (columns = 140) => frame?.(columns) ?? '' };
}

describe('the progress bar', () => {
  it('starts empty, its total unknown, until the run has read records', () => {
    const { screen, draw } = terminal();
    const progress = createProgress('crm crm-to-sahut', capturingLogger().log, screen);
    const empty = /^crm crm-to-sahut \[░{40}\] 0\/\? records \| 0 rec\/s \| 0s$/;
    expect(draw()).toMatch(empty);
    progress.update({ total: 0, settled: 0 });
    expect(draw()).toMatch(empty);

    progress.update({ total: 300, settled: 108 });
    expect(draw()).toMatch(/^crm crm-to-sahut \[█{14}░{26}\] 108\/300 records \| \d+ rec\/s \| 0s$/);
    progress.finish({ total: 300, settled: 300 });
    expect(draw()).toMatch(/ \[█{40}\] 300\/300 records /);
  });

  it('ends full over 0/0 for a run that read nothing', () => {
    const { screen, draw } = terminal();
    createProgress('crm crm-to-sahut', capturingLogger().log, screen).finish({ total: 0, settled: 0 });
    expect(draw()).toMatch(/ \[█{40}\] 0\/0 records /);
  });

  it('fits a narrow terminal with a shorter bar', () => {
    const { screen, draw } = terminal();
    createProgress('crm crm-to-sahut', capturingLogger().log, screen).update({ total: 300, settled: 150 });
    const frame = draw(60);
    expect(frame.length).toBeLessThan(60);
    expect(frame).toMatch(/^crm crm-to-sahut \[█+░+\] 150\/300 records \| \d+ rec\/s \| 0s$/);
  });

  it('off a terminal, logs a line, the total null until it is known', () => {
    const { log, lines } = capturingLogger();
    const offTerminal: Screen = { isTTY: false, write() {}, startBar: () => undefined };
    const progress = createProgress('crm crm-to-sahut', log, offTerminal);
    progress.update({ total: 0, settled: 0 });
    // The next line comes 5 s after this one, not at each update.
    progress.update({ total: 300, settled: 108 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 30, msg: 'crm crm-to-sahut: 0/? records', done: 0, total: null }),
    ]);
  });
});
