import { measureRun } from '../harness/measure.ts';
import { formatKinds } from '../harness/table.ts';
import { check, type Scenario } from '../harness/types.ts';

/** A full re-read of records already synced: the link hashes settle them all without Sahut. */
export const unchanged: Scenario = {
  name: 'unchanged',
  summary: 'the same N re-read with the cursor ignored: 0 API calls, bounded by worker and store',
  async run(opts, shared) {
    const fixture = await shared.fixture();
    await fixture.initialSync();
    const { engine } = fixture;
    const ctx = {
      label: 'unchanged',
      records: opts.records,
      rate: opts.rate,
      sahut: engine.sahut,
      redisPid: opts.redis.pid,
    };
    const { m, run } = await measureRun(ctx, () => engine.run({ fullScan: true }));
    return {
      rows: [m],
      notes: [`calls: ${formatKinds(m)}; run counts: ${JSON.stringify(run.counts)}`],
      checks: [
        check('unchanged: 0 API calls', m.apiCalls === 0, `${m.apiCalls} calls for ${opts.records} records`),
      ],
    };
  },
};
