import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { closeOnInterrupt } from './interrupt.ts';
import type { CallKinds } from './types.ts';

const CHILD = fileURLToPath(new URL('./sahut-child.ts', import.meta.url));
export const SAHUT_API_KEY = 'sk_bench_0f1e2d3c4b';

export interface SahutCounts {
  byRoute: Record<string, number>;
  byKind: CallKinds;
  rejected429: number;
}

/** The Sahut stand-in (the project's sandbox) in its own process; see sahut-child.ts. */
export interface SahutProcess {
  baseUrl: string;
  pid: number;
  /** Adds `unrelated` contacts no CRM record matches and `matching` ones CRM records 0… match; returns the total. */
  seed(spec: { unrelated?: number; matching?: number }): Promise<number>;
  counts(): Promise<SahutCounts>;
  resetCounts(): Promise<void>;
  summary(): Promise<{ contacts: number; distinctPhones: number; distinctEmails: number }>;
  close(): Promise<void>;
}

const replySchema = z.union([
  z.object({ ready: z.string() }),
  z.object({ id: z.number(), ok: z.literal(true), value: z.unknown() }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.string() }),
]);

/** `rate`: Sahut's limit in requests/s, 429 + Retry-After beyond it; null = not limiting. */
export async function startSahut(opts: { rate: number | null; latencyMs?: number }): Promise<SahutProcess> {
  const args = JSON.stringify({ apiKey: SAHUT_API_KEY, rate: opts.rate, latencyMs: opts.latencyMs ?? 0 });
  const child = fork(CHILD, [args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let baseUrl: string | undefined;
  let markReady: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    markReady = resolve;
  });
  child.on('message', (message) => {
    const reply = replySchema.parse(message);
    if ('ready' in reply) return markReady(reply.ready);
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.value);
    else waiter?.reject(new Error(`Sahut stand-in: ${reply.error}`));
  });
  const call = <T>(op: string, arg?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, arg });
    });
  const close = async () => {
    forget();
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) await call('close').catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const forget = closeOnInterrupt(close);
  try {
    baseUrl = await Promise.race([
      ready,
      exited.then(() => {
        throw new Error('the Sahut stand-in exited before listening');
      }),
    ]);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    baseUrl,
    pid: child.pid ?? 0,
    seed: (spec) => call('seed', spec),
    counts: () => call('counts'),
    resetCounts: () => call('resetCounts'),
    summary: () => call('summary'),
    close,
  };
}
