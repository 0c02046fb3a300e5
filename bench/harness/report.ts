import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.ts';
import type { BenchOptions } from './types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The commit measured, with `+changes` when src/ differs from it. */
function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

const loads = () => loadavg().map((l) => Number(l.toFixed(2)));

/** Date, machine, load and code under measurement: every figure the bench prints is read against these. */
export function describeMachine(opts: Omit<BenchOptions, 'redis'>) {
  const date = new Date().toISOString();
  const cores = cpus().length;
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memGb = Math.round(totalmem() / 2 ** 30);
  const code = commit();
  const load = loads();
  const concurrency = opts.concurrency ?? 'default';
  // In-process scenarios measure this process, so its heap should be sized as a deployment's is.
  const flagged = NODE_FLAGS.every((flag) => process.execArgv.includes(flag));
  return {
    line:
      `sahut-sync bench · ${date} · commit ${code} · node ${process.version} · ${cores} cores (${model}), ${memGb} GB · ` +
      `load ${load.join(' ')} · R=${opts.rate} req/s · WORKER_CONCURRENCY=${concurrency} · ` +
      (flagged
        ? NODE_FLAGS.join(' ')
        : `in-process engine WITHOUT ${NODE_FLAGS.join(' ')} (use npm run bench)`),
    json: {
      date,
      commit: code,
      node: process.version,
      cores,
      cpuModel: model,
      memGb,
      startLoad: load,
      nodeFlags: flagged ? [...NODE_FLAGS] : [],
      options: opts,
    },
    load: loads,
  };
}
