/**
 * One size of the `memory` scenario: a re-read of records already linked in
 * the store at `sqlitePath`. It runs in a process of its own, which did not
 * build the fixture, so its peak RSS is the engine's alone (the Sahut stand-in
 * is a process of its own). Started by
 * scenarios/memory.ts with `fork`; answers one `RereadResult` over IPC.
 */
import { z } from 'zod';
import { openBenchEngine } from './engine.ts';
import { measureRun, rssMb } from './measure.ts';
import { crmRecords } from './records.ts';
import type { Measurement } from './types.ts';

export interface RereadResult {
  measurement: Measurement;
  /** RSS just before the run: Node, the engine and the CRM's records in memory. */
  baselineMb: number;
  /** Heap in use after a full GC, before and after the run: equal unless the run leaves something behind. */
  heapBeforeMb: number;
  heapAfterMb: number;
  unchanged: number;
}

const argsSchema = z.object({
  records: z.number().int().positive(),
  rate: z.number().positive(),
  concurrency: z.number().int().positive().optional(),
  sqlitePath: z.string().min(1),
  redis: z.object({ url: z.string(), pid: z.number() }),
});

/** Set once main is done or the parent has gone, whichever comes first. */
let ending = false;

/** Forked with --expose-gc, so a full collection can tell garbage from what is kept. */
function heapAfterGcMb() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

async function main() {
  const { records, rate, concurrency, sqlitePath, redis } = argsSchema.parse(
    JSON.parse(process.argv[2] ?? '{}'),
  );
  const engine = await openBenchEngine(
    { rate, concurrency, redisUrl: redis.url },
    crmRecords(records),
    sqlitePath,
  );
  try {
    const heapBeforeMb = heapAfterGcMb();
    const baselineMb = rssMb();
    const ctx = { label: `re-read ${records}`, records, rate, sahut: engine.sahut, redisPid: redis.pid };
    const { m: measurement, run } = await measureRun(ctx, () => engine.run({ fullScan: true }));
    const unchanged = run.counts.unchanged ?? 0;
    const result: RereadResult = {
      measurement,
      baselineMb,
      heapBeforeMb,
      heapAfterMb: heapAfterGcMb(),
      unchanged,
    };
    await new Promise<void>((resolve, reject) =>
      process.send?.(result, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    await engine.close();
  }
}

// The bench that forked us is gone: clean up as if interrupted.
process.once('disconnect', () => {
  if (ending) return;
  ending = true;
  process.kill(process.pid, 'SIGTERM');
});
main().then(
  () => {
    ending = true;
    if (process.connected) process.disconnect();
  },
  (err: unknown) => {
    // Once interrupted, errors from the engine closing under the run are expected noise.
    if (!ending) console.error(err);
    ending = true;
    process.exitCode = 1;
    if (process.connected) process.disconnect();
  },
);
