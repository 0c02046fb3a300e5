import { duplicateCheck } from '../harness/checks.ts';
import { measureRun, utilisation } from '../harness/measure.ts';
import { formatKinds } from '../harness/table.ts';
import { check, type Scenario } from '../harness/types.ts';

/** Every CRM record is new to the link store: matched, then linked or created, paced by Sahut's limit. */
export const initial: Scenario = {
  name: 'initial',
  summary: 'N new CRM records into a Sahut holding N/4 unrelated and N/10 matching contacts, R req/s',
  async run(opts, shared) {
    const fixture = await shared.fixture();
    const { engine, matching, unrelated } = fixture;
    const ctx = {
      label: 'initial',
      records: opts.records,
      rate: opts.rate,
      sahut: engine.sahut,
      redisPid: opts.redis.pid,
    };
    const { m, run } = await measureRun(ctx, () => fixture.initialSync());
    const writes = m.byKind.post + m.byKind.put;
    // The performance model's floor: the writes themselves plus one full scan of 100-contact pages.
    const floor = (writes + Math.ceil((unrelated + matching) / 100)) / opts.records;
    const used = utilisation(m) ?? 0;
    return {
      rows: [m],
      notes: [
        `calls: ${formatKinds(m)}`,
        `run counts: ${JSON.stringify(run.counts)}; floor (writes + one full scan) ≈ ${floor.toFixed(3)} calls/record`,
      ],
      checks: [
        check(
          'initial: rate-limit utilisation ≥ 90 %, no 429',
          used >= 0.9 && m.rejected429 === 0,
          `${(used * 100).toFixed(1)} % of ${opts.rate} req/s, ${m.rejected429} × 429`,
        ),
        await duplicateCheck('initial', engine.sahut, run, { records: opts.records, matching, unrelated }),
      ],
    };
  },
};
