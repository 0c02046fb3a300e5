import type { Run } from '../../src/store/index.ts';
import { type BenchEngine, openBenchEngine } from './engine.ts';
import { crmRecords } from './records.ts';
import type { BenchOptions } from './types.ts';

/**
 * N CRM records and a Sahut that already holds N/4 unrelated contacts plus
 * N/10 of the CRM's people; `initial`, `unchanged` and `changed-10pct` run on
 * it one after the other, each starting from the state the previous one left.
 */
export interface SyncFixture {
  engine: BenchEngine;
  matching: number;
  unrelated: number;
  /** The first sync, run once; later scenarios await it too, so each can also run alone. */
  initialSync(): Promise<Run>;
}

export async function openSyncFixture(opts: BenchOptions): Promise<SyncFixture> {
  const { rate, concurrency, redis } = opts;
  const engine = await openBenchEngine({ rate, concurrency, redisUrl: redis.url }, crmRecords(opts.records));
  const { matching, unrelated } = fixtureShape(opts.records);
  await engine.sahut.seed({ unrelated, matching }).catch(async (err: unknown) => {
    await engine.close();
    throw err;
  });
  let first: Promise<Run> | undefined;
  return {
    engine,
    matching,
    unrelated,
    initialSync: () => {
      first ??= engine.run();
      return first;
    },
  };
}

/** How many contacts Sahut already holds before N CRM records are synced: N/10 of theirs, N/4 others. */
export const fixtureShape = (records: number) => ({
  matching: Math.floor(records / 10),
  unrelated: Math.floor(records / 4),
});
