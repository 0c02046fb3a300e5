import { measureRun, utilisation } from '../harness/measure.ts';
import { formatRoutes } from '../harness/table.ts';
import type { Scenario } from '../harness/types.ts';

/** Every CRM record is new to the link store: search, then link or create, paced by Sahut's limit. */
export const initial: Scenario = {
  name: 'initial',
  summary: 'N new CRM records into a Sahut holding N/4 unrelated and N/10 matching contacts',
  async run(opts, shared) {
    const fixture = await shared.fixture();
    const { engine, matching, unrelated } = fixture;
    const { m, run } = await measureRun('initial', opts.records, opts.rate, engine.sandbox, () =>
      fixture.initialSync(),
    );
    const created = opts.records - matching;
    const contacts = engine.sandbox.contacts();
    const phones = new Set(contacts.map((c) => c.phone));
    const writes = (m.byRoute['POST /contacts'] ?? 0) + (m.byRoute['PUT /contacts/:id'] ?? 0);
    // The performance model's floor: the writes themselves plus one full scan of 100-contact pages.
    const floor = (writes + Math.ceil((unrelated + matching) / 100)) / opts.records;
    return {
      rows: [m],
      notes: [
        `requests: ${formatRoutes(m)}`,
        `run counts: ${JSON.stringify(run.counts)}; floor (writes + one full scan) ≈ ${floor.toFixed(3)} calls/record`,
      ],
      checks: [
        {
          target: 'initial: rate-limit utilisation ≥ 90 %',
          pass: utilisation(m) >= 0.9 && m.rejected429 === 0,
          detail: `${(utilisation(m) * 100).toFixed(1)} % of ${opts.rate} req/s, ${m.rejected429} × 429`,
        },
        {
          target: 'initial: every record created or linked, no duplicate',
          pass:
            run.counts.created === created &&
            run.counts.linked === matching &&
            contacts.length === unrelated + opts.records &&
            phones.size === contacts.length,
          detail: `created ${run.counts.created ?? 0}/${created}, linked ${run.counts.linked ?? 0}/${matching}, Sahut holds ${contacts.length} contacts (${phones.size} distinct phones)`,
        },
      ],
    };
  },
};
