import { readFileSync } from 'node:fs';
import { pick, type Random } from '../chaos/schedule.ts';
import { type CliProcess, spawnCli } from '../cli.ts';
import { until } from '../env.ts';

/**
 * The deployment's long-lived processes: `workers` `sahut-sync worker`s and one `sahut-sync
 * scheduler`. A worker SIGKILLed is replaced in its slot; each slot's peak RSS (VmHWM) is read
 * every second and before each kill, so the figure covers every process that held the slot.
 * `startServe` adds a `sahut-sync serve`, never killed.
 * `watching`: some connection has `notify: true`, and the scheduler is ready once it watches.
 */
export function startFleet(
  env: Record<string, string>,
  workers: number,
  log: (line: string) => void,
  watching: boolean,
) {
  const slots = Array.from({ length: workers }, () => ({ process: spawnCli(['worker'], env), peakKb: 0 }));
  const all: CliProcess[] = slots.map((s) => s.process);
  const killed = new Set<CliProcess>();
  const unexpected: string[] = [];
  let scheduler: CliProcess | null = null;
  const watch = (p: CliProcess, what: string) =>
    void p.exited.then(({ code, signal }) => {
      if (!killed.has(p))
        unexpected.push(`${what} exited by itself (${code ?? signal}):\n${p.output().slice(-2000)}`);
    });
  for (const s of slots) watch(s.process, 'worker');
  const sample = () => {
    for (const s of slots) s.peakKb = Math.max(s.peakKb, peakRssKb(s.process));
  };
  const sampler = setInterval(sample, 1000);

  async function kill(p: CliProcess) {
    killed.add(p);
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }

  return {
    unexpected,
    async startScheduler() {
      const p = spawnCli(['scheduler'], { ...env, LOG_LEVEL: 'info' });
      all.push(p);
      watch(p, 'scheduler');
      scheduler = p;
      const ready = watching ? 'watching CRM changes' : 'schedules applied';
      await until(() => p.output().includes(ready), 30_000, `the scheduler's "${ready}"`);
    },
    /** `sahut-sync serve` on `port`, where HubSpot's webhooks are delivered; resolves once it listens. */
    async startServe(port: number) {
      // The dashboard it also serves wants a password; the soak never logs in.
      const p = spawnCli(['serve', '--port', String(port)], {
        ...env,
        LOG_LEVEL: 'info',
        DASHBOARD_PASSWORD: 'soak-dashboard',
      });
      all.push(p);
      watch(p, 'serve');
      await until(() => p.output().includes('dashboard listening'), 30_000, 'serve to listen').catch(
        (err) => {
          throw new Error(`${String(err)}:\n${p.output().slice(-2000)}`);
        },
      );
    },
    async killWorker(random: Random) {
      const slot = pick(random, slots);
      sample();
      await kill(slot.process);
      slot.process = spawnCli(['worker'], env);
      all.push(slot.process);
      watch(slot.process, 'worker');
      log(`worker SIGKILLed (pid ${slot.process.child.pid} took its place)`);
    },
    async restartScheduler() {
      if (scheduler) await kill(scheduler);
      await this.startScheduler();
      log('scheduler SIGKILLed and started again');
    },
    /** Each worker slot's peak RSS in MB. */
    peakRssMb: () => {
      sample();
      return slots.map((s) => Math.round(s.peakKb / 1024));
    },
    async stop() {
      clearInterval(sampler);
      sample();
      for (const p of all) {
        killed.add(p);
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      }
      await Promise.all(all.map((p) => p.exited));
    },
  };
}

/** VmHWM of a live process (Linux), 0 once it is gone. */
function peakRssKb(p: CliProcess): number {
  if (!p.child.pid || p.child.exitCode !== null || p.child.signalCode !== null) return 0;
  try {
    const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
