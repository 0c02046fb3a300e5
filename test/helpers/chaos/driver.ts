import type pg from 'pg';
import { type CliProcess, runSummaries, spawnCli } from '../cli.ts';
import { deletePrefix } from '../env.ts';
import { commit, editCrm, terminateStore } from './backends.ts';
import type { ChaosDeployment } from './deployment.ts';
import { type ChaosEvent, type ChaosKind, pick, type Random } from './schedule.ts';

export interface ChaosOptions {
  deployment: ChaosDeployment;
  random: Random;
  schedule: readonly ChaosEvent[];
  /** Worker processes kept alive (each killed one is replaced). */
  workers: number;
  /** POSTs the first pass makes at least (one per valid record): what the schedule's shares are of. */
  expectedPosts: number;
  records: number;
  /** The phone whose search is held twice, each time killing every process. */
  heldPhone: string;
  log: (line: string) => void;
}

/**
 * Runs the chaos phase with real `sahut-sync` processes: `workers` workers and
 * one `run --once`, restarted whenever it ends (as cron would), while the
 * schedule's events fire as the sandbox sees POSTs arrive, and the held phone's
 * search kills every process, twice. Every action runs one at a time.
 */
export function createChaos(opts: ChaosOptions) {
  const { deployment, random, log } = opts;
  const all: CliProcess[] = [];
  const killed = new Set<CliProcess>();
  /** Processes that ended without being killed, other than a `run --once` exiting 0 or 1. */
  const unexpected: string[] = [];
  let workers: CliProcess[] = [];
  let runOnce: CliProcess | null = null;
  let over = false;
  let next = 0;
  let killAlls = 0;
  let edits = 0;
  /** A CRM transaction left open until the next event: its rows are stamped before they commit. */
  let lateCommit: pg.PoolClient | null = null;
  let chain: Promise<void> = Promise.resolve();
  const errors: unknown[] = [];
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });

  const serial = (what: string, fn: () => Promise<void>) => {
    chain = chain.then(fn).catch((err: unknown) => {
      errors.push(err);
      log(`chaos action ${what} failed: ${String(err)}`);
    });
    return chain;
  };
  const tail = (p: CliProcess) => p.output().slice(-2000);

  function start(args: string[], onExit: (code: number | null) => void) {
    const p = spawnCli(args, deployment.env);
    all.push(p);
    p.exited.then(({ code }) => {
      if (!killed.has(p)) onExit(code);
    });
    return p;
  }
  function startWorker() {
    const p = start(['worker'], (code) => {
      unexpected.push(`worker exited by itself (code ${code}):\n${tail(p)}`);
      void serial('replace a worker', async () => {
        workers = workers.filter((w) => w !== p);
        if (!over) startWorker();
      });
    });
    workers.push(p);
  }
  function startRunOnce() {
    const p = start(['run', '--once', '--connection', 'crm'], (code) => {
      if (code !== 0 && code !== 1) unexpected.push(`run --once exited with ${code}:\n${tail(p)}`);
      log(`run --once exited ${code}: ${summaryLine(p.output())}`);
      void serial('start run --once again', async () => {
        if (runOnce !== p) return;
        runOnce = null;
        if (!over) startRunOnce();
      });
    });
    runOnce = p;
  }
  async function kill(p: CliProcess | null) {
    if (!p) return;
    killed.add(p);
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }

  const actions: Record<ChaosKind | 'kill-all', () => Promise<void>> = {
    async 'kill-worker'() {
      const victim = pick(random, workers);
      await kill(victim);
      workers = workers.filter((w) => w !== victim);
      startWorker();
    },
    async 'restart-run-once'() {
      const old = runOnce;
      runOnce = null;
      await kill(old);
      startRunOnce();
    },
    async 'wipe-redis'() {
      await deletePrefix(deployment.env.QUEUE_PREFIX as string);
    },
    async 'terminate-store'() {
      log(`terminated ${await terminateStore(deployment)} store connections`);
    },
    async 'edit-crm'() {
      const late = random() < 0.5;
      const { client, rows } = await editCrm(deployment, random, opts.records, `Edited ${++edits}`);
      if (late) lateCommit = client;
      else await commit(client);
      log(`edited ${rows} CRM rows${late ? ' (committed at the next event)' : ''}`);
    },
    async 'kill-all'() {
      killAlls++;
      const everyone = [...workers, runOnce];
      workers = [];
      runOnce = null;
      await Promise.all(everyone.map(kill));
      log(`held request ${killAlls}: killed every process`);
      for (let i = 0; i < opts.workers; i++) startWorker();
      startRunOnce();
    },
  };

  function fire(kind: ChaosKind | 'kill-all') {
    return serial(kind, async () => {
      if (over) return;
      if (lateCommit) {
        await commit(lateCommit);
        log('late CRM edit committed');
      }
      lateCommit = null;
      await actions[kind]();
      if (next >= opts.schedule.length && killAlls >= 2) finished();
    });
  }

  deployment.onPost(() => {
    const posts = deployment.sandbox.counts()['POST /contacts'] ?? 0;
    for (let e = opts.schedule[next]; e && e.at * opts.expectedPosts <= posts; e = opts.schedule[next]) {
      next++;
      log(`${posts} POSTs: ${e.kind}`);
      void fire(e.kind);
    }
  });

  return {
    /** Starts the processes; resolves once every event fired and both held searches killed everyone. */
    async run(deadlineMs: number): Promise<{ timedOut: boolean }> {
      const hold = deployment.holdSearches(opts.heldPhone, 2, () => void fire('kill-all'));
      for (let i = 0; i < opts.workers; i++) startWorker();
      startRunOnce();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      });
      const timedOut = await Promise.race([done.then(() => false), deadline]);
      clearTimeout(timer);
      if (timedOut)
        log(`chaos deadline: ${opts.schedule.length - next} events not fired, ${hold.held()} of 2 holds`);
      return { timedOut };
    },
    /** Ends the chaos: no more restarts, every process killed, any open CRM transaction committed. */
    async stop() {
      over = true;
      await chain;
      await Promise.all(all.map(kill));
      if (lateCommit) await commit(lateCommit);
      if (lateCommit) log('late CRM edit committed');
      lateCommit = null;
    },
    unexpected,
    errors,
    processes: all,
  };
}

/** The run's `run summary` log line of a `run --once`, shortened (else the output's last line). */
export function summaryLine(output: string): string {
  // A process killed mid-write leaves half a line: no summary then.
  const [run] = output.endsWith('\n') ? runSummaries(output) : [];
  if (run) return `${run.runId} ${run.status} ${run.records} records ${JSON.stringify(run.counts)}`;
  return output.split('\n').filter(Boolean).slice(-1)[0] ?? '';
}
