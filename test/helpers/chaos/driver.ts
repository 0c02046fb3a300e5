import type { FastifyRequest } from 'fastify';
import { type CliProcess, runSummaries, spawnCli } from '../cli.ts';
import { deletePrefix, until } from '../env.ts';
import type { Agents } from './agents.ts';
import { cutStore, editCrm } from './backends.ts';
import type { CrmEditValues, OpenCrmEdit } from './crm.ts';
import type { ChaosDeployment } from './deployment.ts';
import type { Removers } from './removals.ts';
import { type ChaosEvent, type ChaosKind, pick, type Random } from './schedule.ts';

/** A CRM edit of the chaos: its rows, what they held before, and when it committed (for the verdict). */
export interface CrmEditRecord {
  ids: string[];
  before: Map<string, CrmEditValues>;
  values: CrmEditValues;
  committedAt: number;
}

export interface ChaosPhase {
  /** The `run --once` arguments this phase restarts as cron would. */
  runArgs: string[];
  schedule: readonly ChaosEvent[];
  /**
   * The schedule's `at` is a share of `expected` distinct keys the sandbox sees in this phase:
   * `key` names what a request counts as (null: not counted).
   */
  progress: { expected: number; key: (request: FastifyRequest) => string | null; what: string };
  /** Requests held twice, each time killing every process. */
  hold: (request: FastifyRequest) => boolean;
}

export interface ChaosOptions {
  deployment: ChaosDeployment;
  random: Random;
  /** Worker processes kept alive (each killed one is replaced). */
  workers: number;
  /** For `edit-sahut` events. */
  agents: Agents | null;
  /** Every CRM edit is appended here. */
  crmEdits: CrmEditRecord[];
  /** For `delete-crm` and `delete-sahut` events; each removal is logged in it. */
  removers: Removers;
  log: (line: string) => void;
}

/**
 * Runs one chaos phase with real `sahut-sync` processes: `workers` workers and
 * one `run --once`, restarted whenever it ends (as cron would), while the
 * schedule's events fire as the sandbox sees the phase's requests arrive (and,
 * should the runs end first, one at each restart), and the held request kills
 * every process, twice. Every action runs one at a time.
 */
export function createChaos(opts: ChaosOptions, phase: ChaosPhase) {
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
  let lateCommit: { edit: OpenCrmEdit; ids: string[] } | null = null;
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
  const commitCrm = async (open: { edit: OpenCrmEdit; ids: string[] }) => {
    await open.edit.commit();
    opts.crmEdits.push({
      ids: open.ids,
      before: open.edit.before,
      values: open.edit.values,
      committedAt: Date.now(),
    });
  };

  function start(args: string[], onExit: (code: number | null) => void) {
    const p = spawnCli(args, deployment.env);
    all.push(p);
    p.exited.then(({ code }) => {
      if (!killed.has(p)) onExit(code);
    });
    return p;
  }
  /** While the Redis primary is down (and a little after): start-up finds no primary and exits 69, by design. */
  let redisDown: { from: number; to: number } | null = null;
  const refusedAtStartUp = (p: CliProcess, code: number | null) => {
    const now = Date.now();
    const during = redisDown !== null && now >= redisDown.from && now <= redisDown.to;
    if (code !== 69 || !during || !p.output().includes('Redis is unreachable')) return false;
    log(`a process started as the primary died exited 69 (Redis unreachable at start-up); started again`);
    return true;
  };
  function startWorker() {
    const p = start(['worker'], (code) => {
      if (!refusedAtStartUp(p, code)) unexpected.push(`worker exited by itself (code ${code}):\n${tail(p)}`);
      void serial('replace a worker', async () => {
        workers = workers.filter((w) => w !== p);
        if (!over) startWorker();
      });
    });
    workers.push(p);
  }
  function startRunOnce() {
    const p = start(phase.runArgs, (code) => {
      if (code !== 0 && code !== 1 && !refusedAtStartUp(p, code))
        unexpected.push(`run --once exited with ${code}:\n${tail(p)}`);
      log(`run --once exited ${code}: ${summaryLine(p.output())}`);
      // The runs ended before the requests the schedule counts on arrived: the next event fires now.
      const e = phase.schedule[next];
      if (e && !over) {
        next++;
        log(`run --once ended: ${e.kind}`);
        void fire(e.kind);
      }
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
      await deletePrefix(deployment.env.QUEUE_PREFIX as string, deployment.redis());
    },
    async 'cut-store'() {
      log(await cutStore(deployment));
    },
    async 'edit-crm'() {
      const late = random() < 0.5;
      const open = await editCrm(deployment, random, `Edited ${++edits}`, late);
      if (late) lateCommit = open;
      else await commitCrm(open);
      log(`edited ${open.ids.length} CRM rows${late ? ' (committed at the next event)' : ''}`);
    },
    async 'edit-sahut'() {
      if (!opts.agents) return;
      const count = 3 + Math.floor(random() * 6);
      await opts.agents.edit(count);
      opts.agents.walkIn(2);
      log(`agents edited ${count} contacts; 2 people wrote in`);
    },
    async 'delete-crm'() {
      log(await opts.removers.deleteInCrm(1 + Math.floor(random() * 3)));
    },
    async 'delete-sahut'() {
      if (!opts.agents) return;
      log(await opts.removers.deleteInSahut(1 + Math.floor(random() * 2)));
    },
    async failover() {
      const group = deployment.sentinel;
      if (!group) return;
      const before = await group.primaryAddress();
      const began = Date.now();
      redisDown = { from: began, to: Number.POSITIVE_INFINITY };
      group.primary.child.kill('SIGKILL');
      await until(async () => (await group.primaryAddress()) !== before, 60_000, 'the sentinels to promote');
      // A process that found no primary exits a moment later, once its start-up check gives up.
      redisDown = { from: began, to: Date.now() + 15_000 };
      log(
        `Redis primary ${before} SIGKILLed; the sentinels promoted ${await group.primaryAddress()} in ${Date.now() - began} ms`,
      );
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
        await commitCrm(lateCommit);
        log('late CRM edit committed');
      }
      lateCommit = null;
      await actions[kind]();
      if (next >= phase.schedule.length && killAlls >= 2) finished();
    });
  }

  const seenKeys = new Set<string>();
  deployment.onRequest((request) => {
    const key = phase.progress.key(request);
    if (key === null) return;
    seenKeys.add(key);
    const seen = seenKeys.size;
    for (
      let e = phase.schedule[next];
      e && e.at * phase.progress.expected <= seen;
      e = phase.schedule[next]
    ) {
      next++;
      log(`${seen} ${phase.progress.what}: ${e.kind}`);
      void fire(e.kind);
    }
  });

  return {
    /** Starts the processes; resolves once every event fired and both held requests killed everyone. */
    async run(deadlineMs: number): Promise<{ timedOut: boolean }> {
      const hold = deployment.holdRequests(phase.hold, 2, () => void fire('kill-all'));
      for (let i = 0; i < opts.workers; i++) startWorker();
      startRunOnce();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      });
      const timedOut = await Promise.race([done.then(() => false), deadline]);
      clearTimeout(timer);
      if (timedOut)
        log(`chaos deadline: ${phase.schedule.length - next} events not fired, ${hold.held()} of 2 holds`);
      return { timedOut };
    },
    /** Ends the chaos: no more restarts, every process killed, any open CRM transaction committed. */
    async stop() {
      over = true;
      deployment.onRequest(() => {});
      deployment.holdRequests(
        () => false,
        0,
        () => {},
      );
      await chain;
      await Promise.all(all.map(kill));
      if (lateCommit) {
        await commitCrm(lateCommit);
        log('late CRM edit committed');
      }
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
  const runs = output.endsWith('\n') ? runSummaries(output) : [];
  if (runs.length > 0)
    return runs
      .map((r) => `${r.runId} ${r.direction} ${r.status} ${r.records} records ${JSON.stringify(r.counts)}`)
      .join('; ');
  return output.split('\n').filter(Boolean).slice(-1)[0] ?? '';
}
