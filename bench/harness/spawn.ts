import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.ts';

const USAGE = fileURLToPath(new URL('./usage.ts', import.meta.url));
/** The CLI of this checkout (the bench measures the code next to it). */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const KEEP_CHARS = 64 * 1024;

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Where the process writes its lifetime CPU and peak RSS as it exits (see usage.ts). */
  usageFile: string;
  /** The last 64 KB of its stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when `text` appears in its output; rejects if it exits first. */
  waitFor(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `script` with this Node, a deployment's V8 flags and the usage preload, with only the given environment. */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  usageDir: string,
  name: string,
): NodeProcess {
  const usageFile = join(usageDir, `${name.replace(/\W+/g, '-')}.usage.json`);
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, ...profileFlags(name), '--import', USAGE, script, ...args],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...env,
        BENCH_USAGE_FILE: usageFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const watchers: { text: string; resolve(): void }[] = [];
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-KEEP_CHARS);
    for (const w of watchers.splice(0)) {
      if (out.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    name,
    child,
    pid: child.pid ?? 0,
    usageFile,
    output: () => out,
    exited,
    waitFor(text) {
      if (out.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        watchers.push({ text, resolve });
        exited.then(({ code, signal }) =>
          reject(new Error(`${name} exited (${signal ?? code}) before "${text}":\n${out.slice(-4000)}`)),
        );
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `BENCH_CPU_PROF=DIR` writes a V8 CPU profile of every `worker` and `run --once` process into DIR
 * as it exits (summarised by `bench/profile.ts`); profiling costs CPU, so such a run's figures are not the bench's.
 */
function profileFlags(name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir || !/^(worker|run-once)/.test(name)) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}
