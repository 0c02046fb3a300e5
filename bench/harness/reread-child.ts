/**
 * One size of the `memory` scenario, in a process of its own so that its peak
 * RSS is not the leftover of an earlier, bigger run. Started by
 * scenarios/memory.ts with `fork`; answers one `RereadResult` over IPC.
 */
import { z } from 'zod';
import { prepareRecord } from '../../src/sync/apply/prepare.ts';
import { identityKeys } from '../../src/sync/index.ts';
import { type BenchEngine, openBenchEngine } from './engine.ts';
import { measure, rssMb } from './measure.ts';
import { crmRecords } from './records.ts';
import type { Measurement } from './types.ts';

export interface RereadResult {
  measurement: Measurement;
  /** RSS just before the run, after the fixture was built and garbage collected. */
  baselineMb: number;
  unchanged: number;
}

const argsSchema = z.tuple([
  z.coerce.number().int().positive(),
  z.coerce.number().positive(),
  z.coerce.number().int().positive(),
]);

/**
 * Links every record as if an earlier sync had made it, with the same hash the
 * run compares against. Syncing 5×N records through a rate-limited Sahut first
 * would take minutes and measure nothing new. The sandbox gets no contacts:
 * a re-read must not call it, and its memory is not the worker's.
 */
async function linkAll(engine: BenchEngine) {
  const { connection, store, config } = engine;
  for (const [i, record] of engine.crm.records().entries()) {
    const prepared = prepareRecord(record, connection, config.defaultRegion);
    if (prepared.kind !== 'ready') throw new Error(`bench record ${record.id} does not prepare`);
    const identity = identityKeys(prepared.contact);
    await store.upsertLink({
      connection: connection.name,
      crmId: record.id,
      sahutId: `ct_${String(i).padStart(14, '0')}`,
      phone: identity.phone,
      email: identity.email,
      base: prepared.contact,
      crmHash: prepared.hash,
      sahutHash: prepared.hash,
      syncedAt: new Date(),
    });
  }
}

async function main() {
  const [records, rate, concurrency] = argsSchema.parse(process.argv.slice(2));
  const engine = await openBenchEngine({ records, rate, concurrency }, crmRecords(records));
  try {
    await linkAll(engine);
    // Started with --expose-gc: the fixture's garbage should not count as the run's memory.
    globalThis.gc?.();
    const baselineMb = rssMb();
    let unchanged = 0;
    const measurement = await measure(`re-read ${records}`, records, rate, engine.sandbox, async () => {
      unchanged = (await engine.run({ fullScan: true })).counts.unchanged ?? 0;
    });
    const result: RereadResult = { measurement, baselineMb, unchanged };
    await new Promise<void>((resolve, reject) =>
      process.send?.(result, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    await engine.close();
  }
}

main().then(
  () => process.disconnect?.(),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
    process.disconnect?.();
  },
);
