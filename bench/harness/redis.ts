import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeOnInterrupt } from './interrupt.ts';

export interface PrivateRedis {
  url: string;
  pid: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A redis-server of the bench's own, without persistence: its CPU can be read
 * from /proc and counted as the engine's, and the Redis the other engineers use
 * neither slows the bench down nor gets slowed by it.
 */
export async function startRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').catch(() => {});
  let output = '';
  const close = async () => {
    forget();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const forget = closeOnInterrupt(close);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) =>
        reject(
          new Error(`the bench starts its own redis-server (on PATH; apt-get install redis-server): ${err}`),
        ),
      );
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  } catch (err) {
    await close();
    throw err;
  }
  child.stdout.resume();
  child.stderr.resume();
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid ?? 0, close };
}
