import type { Logger } from '../log/index.ts';
import { OUTCOME_ACTIONS, type Run, type RunProgress } from '../store/types.ts';
import type { Screen } from './screen.ts';

/** A finished run's progress: its outcomes (a record still retrying, or a note on Sahut's data, is not one). */
export const progressOf = (run: Run): RunProgress => ({
  total: run.total,
  settled: OUTCOME_ACTIONS.reduce((n, action) => n + (run.counts[action] ?? 0), 0),
});

/** A progress bar on a terminal (log lines go above it); a log line every few seconds otherwise (cron, CI, Docker). */
export function createProgress(label: string, log: Logger, screen: Screen) {
  const started = Date.now();
  const rate = (done: number) => Math.round((done / Math.max(1, Date.now() - started)) * 1000);
  const bar = screen.startBar(
    `${label} [{bar}] {value}/{total} records | {rate} rec/s | {duration_formatted}`,
    { rate: 0 },
  );
  if (bar) {
    return {
      update({ total, settled }: RunProgress) {
        const done = Math.min(settled, total);
        bar.update(done, total, { rate: rate(done) });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLog = 0;
  return {
    update({ total, settled }: RunProgress) {
      if (Date.now() - lastLog < 5_000) return;
      lastLog = Date.now();
      const done = Math.min(settled, total);
      log.info({ done, total, ratePerSec: rate(done) }, `${label}: ${done}/${total} records`);
    },
    stop() {},
  };
}
