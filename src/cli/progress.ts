import cliProgress from 'cli-progress';
import type { Logger } from '../log/index.ts';
import type { Run } from '../store/types.ts';

const settled = (run: Run) => Object.values(run.counts).reduce((a, b) => a + (b ?? 0), 0);

/** A progress bar on a terminal; a log line every few seconds otherwise (cron, CI, Docker). */
export function createProgress(label: string, log: Logger, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  const rate = (done: number) => Math.round((done / Math.max(1, Date.now() - started)) * 1000);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} records | {rate} rec/s | {duration_formatted}`, stream },
      cliProgress.Presets.shades_classic,
    );
    bar.start(0, 0, { rate: 0 });
    return {
      update(run: Run) {
        const done = settled(run);
        bar.setTotal(Math.max(run.total, done));
        bar.update(done, { rate: rate(done) });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLog = 0;
  return {
    update(run: Run) {
      if (Date.now() - lastLog < 5_000) return;
      lastLog = Date.now();
      const done = settled(run);
      log.info(
        { run: run.id, done, total: run.total, ratePerSec: rate(done) },
        `${label}: ${done}/${run.total} records`,
      );
    },
    stop() {},
  };
}
