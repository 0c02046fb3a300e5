import type { Config, Connection } from '../config/index.ts';
import type { Direction } from '../domain/index.ts';
import type { Logger } from '../log/index.ts';
import { createMetrics } from '../metrics/index.ts';
import {
  checkRedis,
  createRuntime,
  enqueueRun,
  findRunInFlight,
  RunNeverStartedError,
  type Runtime,
  startWorkers,
  waitForRun,
} from '../queue/index.ts';
import type { Run, Store } from '../store/types.ts';
import { createProgress, progressOf } from './progress.ts';
import { type Report, tell } from './report.ts';
import type { Screen } from './screen.ts';
import { reportRuns } from './summary.ts';

export interface RunOnceOptions {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  connections: readonly Connection[];
  targets: readonly { connection: Connection; direction: Direction }[];
  concurrency?: number;
  /** Read the whole source instead of what changed since the cursor. */
  full?: boolean;
  /** Removals a person confirmed past the deletion guard (`--allow-deletes`). */
  allowDeletes?: number;
  /** Where the summary goes. */
  report: Report;
  /** Draws the progress bar, with the log lines above it. */
  screen: Screen;
}

/**
 * Enqueues each run (or joins the one already in flight) and works on it in this process (other workers of the
 * deployment may help), waits for the end, reports the summary. Returns the
 * number of records that failed, were ambiguous or were rejected.
 */
export async function runOnce(opts: RunOnceOptions): Promise<{ runs: Run[]; failing: number }> {
  const { config, log, store } = opts;
  await checkRedis(config.redis.connection);
  const rt = createRuntime({ config, connections: opts.connections, store, log, metrics: createMetrics() });
  const workers = startWorkers(rt, opts.concurrency ? { concurrency: opts.concurrency } : {});
  try {
    const runs: Run[] = [];
    for (const { connection, direction } of opts.targets)
      runs.push(await runOne(rt, opts, connection, direction));
    const failing = await reportRuns(store, runs, opts.report);
    return { runs, failing };
  } finally {
    await workers.close();
    await rt.close();
  }
}

/** Attempts at a run whose job Redis lost before it started, before giving up. */
const NEVER_STARTED_ATTEMPTS = 3;

/** One run: joined if in flight, else enqueued; enqueued again if Redis lost it before it started. */
async function runOne(
  rt: Runtime,
  opts: RunOnceOptions,
  connection: Connection,
  direction: Direction,
): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    // Started again while an earlier run of the same sync is still going (cron after a crash):
    // join that run and report how it ends, instead of queueing a second one behind it.
    const inFlight = await findRunInFlight(rt, connection.name, direction);
    if (inFlight)
      tell(
        opts.report,
        `${connection.name} ${direction}: run ${inFlight.runId} is already in flight; waiting for it`,
        { runId: inFlight.runId, connection: connection.name, direction },
      );
    const { job, runId } =
      inFlight ??
      (await enqueueRun(rt, connection.name, direction, 'cli', {
        full: opts.full ?? false,
        ...(opts.allowDeletes !== undefined ? { allowDeletes: opts.allowDeletes } : {}),
      }));
    const progress = createProgress(`${connection.name} ${direction}`, opts.log, opts.screen);
    try {
      const run = await waitForRun(rt, job, runId, (r) => progress.update(r));
      progress.finish(progressOf(run)); // the bar's last frame shows the run as it ended
      return run;
    } catch (err) {
      if (!(err instanceof RunNeverStartedError) || attempt >= NEVER_STARTED_ATTEMPTS) throw err;
      opts.log.warn({ runId, connection: connection.name, direction }, `${err.message}; enqueueing it again`);
    } finally {
      progress.stop();
    }
  }
}
