import cliProgress from 'cli-progress';
import type { Logger } from '../log/index.ts';
import { OUTCOME_ACTIONS, type Run, type RunProgress } from '../store/types.ts';
import type { Screen } from './screen.ts';

/** A finished run's progress: its outcomes (a record still retrying, or a note on Sahut's data, is not one). */
export const progressOf = (run: Run): RunProgress => ({
  total: run.total,
  settled: OUTCOME_ACTIONS.reduce((n, action) => n + (run.counts[action] ?? 0), 0),
});

const LOG_EVERY_MS = 5_000;
const BAR = { min: 4, max: 40 };
const NO_PADDING = { autopaddingChar: '' }; // durations as cli-progress writes them: 7s, 1m5s
const { barCompleteChar: FULL = '█', barIncompleteChar: EMPTY = '░' } = cliProgress.Presets.shades_classic;

/**
 * A progress bar on a terminal (log lines go above it); a log line every few seconds otherwise (cron, CI,
 * Docker, a pipe). A run's size is known once it has read records, or has ended: until then the bar is
 * empty and its total `?`, never a full bar over `0/0`.
 */
export function createProgress(label: string, log: Logger, screen: Screen) {
  const started = Date.now();
  let seen: RunProgress = { total: 0, settled: 0 };
  let ended = false;
  const state = () => {
    const done = Math.min(seen.settled, seen.total);
    const known = ended || seen.total > 0;
    const rate = Math.round((done / Math.max(1, Date.now() - started)) * 1000);
    return { done, known, of: known ? String(seen.total) : '?', rate };
  };
  const bar = screen.startBar((columns) => {
    const { done, known, of, rate } = state();
    const elapsed = cliProgress.Format.TimeFormat(Math.round((Date.now() - started) / 1000), NO_PADDING, 1);
    const tail = `] ${done}/${of} records | ${rate} rec/s | ${elapsed}`;
    const size = Math.max(BAR.min, Math.min(BAR.max, columns - 1 - label.length - 2 - tail.length));
    const full = known ? Math.round(size * (seen.total > 0 ? done / seen.total : 1)) : 0;
    return `${label} [${FULL.repeat(full)}${EMPTY.repeat(size - full)}${tail}`;
  });
  let lastLog = 0;
  const update = (progress: RunProgress) => {
    seen = progress;
    // The bar reads the state at each redraw; off a terminal a line says it every few seconds.
    if (bar || Date.now() - lastLog < LOG_EVERY_MS) return;
    lastLog = Date.now();
    const { done, known, of, rate } = state();
    log.info({ done, total: known ? seen.total : null, ratePerSec: rate }, `${label}: ${done}/${of} records`);
  };
  return {
    update,
    /** The run ended: its size is known, even if it read nothing. */
    finish(progress: RunProgress) {
      ended = true;
      update(progress);
    },
    stop: () => bar?.stop(),
  };
}
