import { measureRun } from '../harness/measure.ts';
import { formatRoutes } from '../harness/table.ts';
import type { Scenario } from '../harness/types.ts';

/** A full re-read of records already synced: the link hashes settle them all without Sahut. */
export const unchanged: Scenario = {
  name: 'unchanged',
  summary: 'the same N re-read with the cursor ignored: 0 API calls, bounded by worker and store',
  async run(opts, shared) {
    const fixture = await shared.fixture();
    await fixture.initialSync();
    const { engine } = fixture;
    const { m, run } = await measureRun('unchanged', opts.records, opts.rate, engine.sandbox, () =>
      engine.run({ fullScan: true }),
    );
    return {
      rows: [m],
      notes: [`requests: ${formatRoutes(m)}; run counts: ${JSON.stringify(run.counts)}`],
      checks: [
        {
          target: 'unchanged: 0 API calls',
          pass: m.apiCalls === 0,
          detail: `${m.apiCalls} calls for ${opts.records} records`,
        },
      ],
    };
  },
};
