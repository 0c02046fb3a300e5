import { measureRun } from '../harness/measure.ts';
import { companyOf } from '../harness/records.ts';
import { formatKinds } from '../harness/table.ts';
import { check, type Scenario } from '../harness/types.ts';

/** One field of every 10th record changed in the CRM, then a full re-read. */
export const changed10pct: Scenario = {
  name: 'changed-10pct',
  summary: '10 % of the N records changed, full re-read: exactly 1 PUT per changed record, 0 searches',
  async run(opts, shared) {
    const fixture = await shared.fixture();
    await fixture.initialSync();
    const { engine } = fixture;
    let changed = 0;
    for (let i = 0; i < opts.records; i += 10) {
      await engine.crm.edit(`crm-${i}`, { company: `${companyOf(i)} Baru` });
      changed++;
    }
    const label = 'changed-10pct';
    const ctx = {
      label,
      records: opts.records,
      rate: opts.rate,
      sahut: engine.sahut,
      redisPid: opts.redis.pid,
    };
    const { m, run } = await measureRun(ctx, () => engine.run({ fullScan: true }));
    const puts = m.byKind.put;
    return {
      rows: [m],
      notes: [`calls: ${formatKinds(m)}; run counts: ${JSON.stringify(run.counts)}`],
      checks: [
        check(
          'changed-10pct: exactly 1 PUT per changed record, nothing else',
          puts === changed && m.apiCalls === changed,
          `${changed} changed → ${puts} PUTs, ${m.apiCalls - puts} other calls`,
        ),
      ],
    };
  },
};
