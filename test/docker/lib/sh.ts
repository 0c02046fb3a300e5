import { type ChildProcess, spawn } from 'node:child_process';

export interface Outcome {
  code: number;
  /** stdout, or stdout and stderr interleaved for `pipe`. */
  stdout: string;
  stderr: string;
}

// vfs copies a whole image per container, so compose's default 60 s API timeout is too short here;
// Debian's daemon has no BuildKit, so the classic builder is asked for by name.
const ENV = { ...process.env, COMPOSE_HTTP_TIMEOUT: '600', DOCKER_BUILDKIT: '0' };

const exited = (child: ChildProcess) =>
  new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });

const collect = (child: ChildProcess, stream: 'stdout' | 'stderr', into: Buffer[]) =>
  child[stream]?.on('data', (b: Buffer) => into.push(b));

/** Runs a command to its end and reports how it ended; never throws on a non-zero exit. */
export async function run(cmd: string, args: readonly string[]): Promise<Outcome> {
  const child = spawn(cmd, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  collect(child, 'stdout', out);
  collect(child, 'stderr', err);
  const code = await exited(child);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Runs a command and returns its stdout; a non-zero exit throws, naming the command and its stderr. */
export async function sh(cmd: string, args: readonly string[]): Promise<string> {
  const result = await run(cmd, args);
  if (result.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${result.code}:\n${tail(result.stderr || result.stdout)}`,
    );
  }
  return result.stdout;
}

export const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** `producer | consumer`; the outcome is the first non-zero exit code, with the consumer's output. */
export async function pipe(producer: [string, string[]], consumer: [string, string[]]): Promise<Outcome> {
  const from = spawn(producer[0], producer[1], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const to = spawn(consumer[0], consumer[1], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  from.stdout?.pipe(to.stdin as NodeJS.WritableStream);
  const out: Buffer[] = [];
  for (const child of [from, to]) collect(child, 'stderr', out);
  collect(to, 'stdout', out);
  const [fromCode, toCode] = await Promise.all([exited(from), exited(to)]);
  return { code: fromCode || toCode, stdout: Buffer.concat(out).toString('utf8'), stderr: '' };
}

/** Streams a command's stdout through `onChunk`; resolves with its exit code. */
export async function stream(cmd: string, args: readonly string[], onChunk: (b: Buffer) => void) {
  const child = spawn(cmd, args, { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout?.on('data', onChunk);
  return exited(child);
}
