import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const TMUX = '/usr/bin/tmux';

export interface TmuxPane {
  /**
   * Every row of the pane, scrollback included, as a person sees it (no colours, trailing blanks
   * trimmed); `joined`: a line the terminal wrapped over several rows is one.
   */
  capture(opts?: { joined?: boolean }): Promise<string[]>;
  /** Resizes the terminal, as a person dragging its window's edge. */
  resize(size: { columns: number; rows: number }): Promise<void>;
  /** undefined while the command runs, then its exit status. */
  exitStatus(): Promise<number | undefined>;
  dispose(): Promise<void>;
}

/**
 * Runs `argv` with exactly `env` (plus TERM) in a detached pane of a private tmux
 * server (its own socket in `dir`) at a fixed size, in `cwd` (else this process's):
 * a real terminal, as a person would run the command. The pane stays readable after
 * the command ended.
 */
export async function startInTmux(
  dir: string,
  argv: readonly string[],
  env: Record<string, string>,
  size: { columns: number; rows: number; cwd?: string } = { columns: 140, rows: 40 },
): Promise<TmuxPane> {
  const socket = join(dir, 'tmux.sock');
  const conf = join(dir, 'tmux.conf');
  const script = join(dir, 'command.sh');
  const statusFile = join(dir, 'exit-status');
  await writeFile(conf, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\n');
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  // TERM is tmux's own (set in the pane); everything else is what the test gives.
  const line = `env -i TERM="$TERM" ${assignments.join(' ')} ${argv.map(shellQuote).join(' ')}`;
  // tmux's #{pane_dead_status} is not always filled in (3.3a): the script keeps the status itself.
  await writeFile(script, `${line}\necho $? > ${shellQuote(statusFile)}\n`);
  const tmux = (...args: string[]) => exec(TMUX, ['-S', socket, '-f', conf, ...args]);
  await tmux(
    'new-session',
    '-d',
    '-x',
    String(size.columns),
    '-y',
    String(size.rows),
    '-c',
    size.cwd ?? process.cwd(),
    `sh ${shellQuote(script)}`,
  );
  return {
    async capture({ joined = false } = {}) {
      const { stdout } = await tmux('capture-pane', '-p', '-S', '-', ...(joined ? ['-J'] : []));
      return stdout
        .replace(/\n+$/, '')
        .split('\n')
        .map((row) => row.trimEnd());
    },
    async resize({ columns, rows }) {
      await tmux('resize-window', '-x', String(columns), '-y', String(rows));
    },
    async exitStatus() {
      const status = await readFile(statusFile, 'utf8').catch(() => '');
      return /^\d+\n$/.test(status) ? Number(status) : undefined;
    },
    async dispose() {
      await tmux('kill-server').catch(() => {});
    },
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
