import type { Command } from 'commander';
import { createRuntime, type Replay, replayFailed, startWorkers, waitForRun } from '../../queue/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { EXIT } from '../exit.ts';
import { createProgress, progressOf } from '../progress.ts';
import { tell } from '../report.ts';
import { reportRuns } from '../summary.ts';

export function registerReplayCommand(program: Command) {
  program
    .command('replay')
    .description(
      'Re-enqueue the records whose retries ran out (kept in Redis up to KEEP_FAILED_JOBS) as a new run, ' +
        'and wait for it. Rejected and ambiguous records are left out: a replay would end them the same way.',
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
        const { runs: replays, leftOut } = await replayFailed(rt, opts.run ? { runId: opts.run } : {});
        if (replays.length === 0) tell(report, 'No failed records to replay.');
        for (const r of replays)
          tell(
            report,
            `Replaying ${r.records} failed record(s) of ${r.connection} (${r.direction}) as run ${r.runId}`,
            { runId: r.runId, connection: r.connection, direction: r.direction, records: r.records },
          );
        const left = leftOutNotice(leftOut);
        if (left) tell(report, left, { leftOut });
        if (replays.length === 0 || !opts.wait) return;
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

/** What was left out and what to do instead, or undefined when nothing was. */
function leftOutNotice({ rejected, ambiguous }: Replay['leftOut']): string | undefined {
  const counts = [];
  const advice = [];
  if (rejected > 0) {
    counts.push(`${rejected} rejected`);
    advice.push('fix a rejected record in the CRM (the next run reads it again)');
  }
  if (ambiguous > 0) {
    counts.push(`${ambiguous} ambiguous`);
    advice.push('settle an ambiguous one with sahut-sync attention');
  }
  if (counts.length === 0) return undefined;
  return `Left out ${counts.join(' and ')} record(s), which a replay would end the same way: ${advice.join('; ')}.`;
}
