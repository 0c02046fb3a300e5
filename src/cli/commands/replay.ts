import type { Command } from 'commander';
import { createRuntime, replayFailed, startWorkers, waitForRun } from '../../queue/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { EXIT } from '../exit.ts';
import { createProgress, progressOf } from '../progress.ts';
import { tell } from '../report.ts';
import { reportRuns } from '../summary.ts';

export function registerReplayCommand(program: Command) {
  program
    .command('replay')
    .description(
      'Re-enqueue failed records (kept in Redis up to KEEP_FAILED_JOBS) as a new run, and wait for it.',
    )
    .requiredOption('--failed', 'replay the failed records')
    .option('--run <id>', 'only the records that failed in this run')
    .option('--no-wait', 'enqueue and exit; running workers do the work')
    .action(async (opts: { failed: boolean; run?: string; wait: boolean }) => {
      const { config, log, screen, report } = loadContext();
      const store = await openMigratedStore(config);
      const rt = createRuntime({ config, ...connectionsOf(config), store, log });
      const workers = opts.wait ? startWorkers(rt) : undefined;
      try {
        const replays = await replayFailed(rt, opts.run ? { runId: opts.run } : {});
        if (replays.length === 0) {
          tell(report, 'No failed records to replay.');
          return;
        }
        for (const r of replays)
          tell(
            report,
            `Replaying ${r.records} record(s) of ${r.connection} (${r.direction}) as run ${r.runId}`,
            {
              runId: r.runId,
              connection: r.connection,
              direction: r.direction,
              records: r.records,
            },
          );
        if (!opts.wait) return;
        const runs = [];
        for (const r of replays) {
          const progress = createProgress(`${r.connection} ${r.direction} (replay)`, log, screen);
          try {
            const run = await waitForRun(rt, r.job, r.runId, (u) => progress.update(u));
            progress.finish(progressOf(run));
            runs.push(run);
          } finally {
            progress.stop();
          }
        }
        const failing = await reportRuns(store, runs, report);
        process.exitCode = failing > 0 ? EXIT.recordsFailed : EXIT.ok;
      } finally {
        await workers?.close();
        await rt.close();
        await store.close();
      }
    });
}
