import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { openStore } from '../../src/store/index.ts';
import { benchConnection, REGION, tempDir } from '../harness/engine.ts';
import { closeOnInterrupt } from '../harness/interrupt.ts';
import { linkAll } from '../harness/links.ts';
import { crmRecords } from '../harness/records.ts';
import type { RereadResult } from '../harness/reread-child.ts';
import { measurementSchema } from '../harness/schemas.ts';
import { type BenchOptions, check, type Measurement, type Scenario } from '../harness/types.ts';

const CHILD = fileURLToPath(new URL('../harness/reread-child.ts', import.meta.url));
const SCALE = 5;
const FLAT_WITHIN = 0.25;

const resultSchema = z.object({
  baselineMb: z.number(),
  heapBeforeMb: z.number(),
  heapAfterMb: z.number(),
  unchanged: z.number(),
  measurement: measurementSchema,
}) satisfies z.ZodType<RereadResult>;

/** A store in a temp dir where every one of `records` CRM records is already linked. */
async function linkedStore(records: number): Promise<{ path: string; dispose(): Promise<void> }> {
  const dir = await tempDir();
  const dispose = () => rm(dir, { recursive: true, force: true });
  const forget = closeOnInterrupt(dispose);
  try {
    const path = join(dir, 'store.sqlite');
    const store = await openStore({ kind: 'sqlite', path });
    try {
      await store.migrate();
      await linkAll(store, benchConnection(), crmRecords(records), REGION);
    } finally {
      await store.close();
    }
    return {
      path,
      async dispose() {
        forget();
        await dispose();
      },
    };
  } catch (err) {
    forget();
    await dispose();
    throw err;
  }
}

/** One re-read of `records` linked records in a fresh process, so each peak RSS stands alone. */
async function rereadInChild(records: number, opts: BenchOptions): Promise<RereadResult> {
  const store = await linkedStore(records);
  try {
    return await new Promise((resolve, reject) => {
      const { rate, concurrency, redis } = opts;
      const args = JSON.stringify({ records, rate, concurrency, sqlitePath: store.path, redis });
      const child = fork(CHILD, [args], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: [...process.execArgv, '--expose-gc'],
      });
      let result: RereadResult | undefined;
      child.once('message', (message) => {
        result = resultSchema.parse(message);
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (result && code === 0) resolve(result);
        else reject(new Error(`memory child for ${records} records exited with ${signal ?? code}`));
      });
    });
  } finally {
    await store.dispose();
  }
}

const perThousand = (m: Measurement) => m.peakRssMb / (m.records / 1000);

/** Unchanged re-reads of N and 5×N records: peak RSS must not grow with the number of records. */
export const memory: Scenario = {
  name: 'memory',
  summary: `unchanged re-read of N and ${SCALE}×N linked records, each in its own process: peak RSS flat in N`,
  async run(opts) {
    const small = await rereadInChild(opts.records, opts);
    const large = await rereadInChild(opts.records * SCALE, opts);
    const [s, l] = [small.measurement, large.measurement];
    const growth = l.peakRssMb / s.peakRssMb - 1;
    const mb = (n: number) => n.toFixed(0);
    const line = (r: RereadResult) => {
      const m = r.measurement;
      return (
        `${m.records} records: peak RSS ${mb(m.peakRssMb)} MB = ${perThousand(m).toFixed(1)} MB per 1k records ` +
        `(${mb(r.baselineMb)} MB before the run, +${mb(m.peakRssMb - r.baselineMb)} MB during it); ` +
        `heap in use after GC ${mb(r.heapBeforeMb)} → ${mb(r.heapAfterMb)} MB`
      );
    };
    return {
      rows: [s, l],
      notes: [line(small), line(large)],
      checks: [
        check(
          `memory: peak RSS flat within ${FLAT_WITHIN * 100} % from N to ${SCALE}×N`,
          growth <= FLAT_WITHIN,
          `${s.peakRssMb.toFixed(0)} MB → ${l.peakRssMb.toFixed(0)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`,
        ),
        check(
          'memory: 0 API calls on the re-reads',
          s.apiCalls === 0 &&
            l.apiCalls === 0 &&
            small.unchanged === s.records &&
            large.unchanged === l.records,
          `${s.apiCalls} and ${l.apiCalls} calls; ${small.unchanged} and ${large.unchanged} unchanged`,
        ),
      ],
    };
  },
};
