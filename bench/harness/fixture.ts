import type { Run } from '../../src/store/index.ts';
import { type BenchEngine, openBenchEngine } from './engine.ts';
import { crmRecords, matchingContact, unrelatedContacts } from './records.ts';
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
  const engine = await openBenchEngine(opts, crmRecords(opts.records));
  const matching = Math.floor(opts.records / 10);
  const unrelated = Math.floor(opts.records / 4);
  engine.sandbox.seed(unrelatedContacts(unrelated));
  engine.sandbox.seed(Array.from({ length: matching }, (_, i) => matchingContact(i)));
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
