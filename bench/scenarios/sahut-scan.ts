import { openDeployment } from '../harness/deployment.ts';
import { measureDeploymentRun } from '../harness/deployment-run.ts';
import { formatKinds } from '../harness/table.ts';
import { type BenchOptions, check, type Measurement, type Scenario } from '../harness/types.ts';

const PER_PAGE = 100;
const FLAT_WITHIN = 0.25;

/**
 * A Sahut → CRM run over a Sahut holding `contacts` contacts none of which is
 * linked: a full paged scan of Sahut and nothing else, done by `run --once`
 * alone (no other worker), so its peak RSS is the scan's.
 */
async function scan(opts: BenchOptions, contacts: number): Promise<Measurement> {
  const d = await openDeployment({
    records: 0,
    seed: { unrelated: contacts, matching: 0 },
    directions: ['crm-to-sahut', 'sahut-to-crm'],
    concurrency: opts.concurrency,
    redisUrl: opts.redis.url,
  });
  try {
    const label = `scan ${contacts}`;
    const direction = 'sahut-to-crm';
    const { m } = await measureDeploymentRun(d, {
      label,
      records: contacts,
      redisPid: opts.redis.pid,
      direction,
    });
    return m;
  } finally {
    await d.close();
  }
}

export const sahutScan: Scenario = {
  name: 'sahut-scan',
  summary: 'a full scan of Sahut holding M/10 and M contacts (--scan-contacts): list calls, time, memory',
  async run(opts) {
    const m = opts.scanContacts;
    const small = await scan(opts, Math.max(100, Math.round(m / 10)));
    const large = await scan(opts, m);
    const rssOf = (x: Measurement) => x.processes.find((p) => p.name === 'run --once')?.peakRssMb ?? 0;
    const growth = rssOf(large) / rssOf(small) - 1;
    const expected = Math.ceil(m / PER_PAGE);
    const line = (x: Measurement) =>
      `${x.records} contacts: ${formatKinds(x)}; ${(x.records / x.seconds).toFixed(0)} contacts/s; ` +
      `run --once peak RSS ${rssOf(x).toFixed(0)} MB`;
    return {
      rows: [small, large],
      notes: [
        line(small),
        line(large),
        'records = contacts scanned; the run process does the scan (no other worker); its RSS includes Node start-up',
      ],
      checks: [
        check(
          `sahut-scan: ⌈M/${PER_PAGE}⌉ list calls and nothing else (M=${m})`,
          large.byKind.list === expected && large.apiCalls === expected,
          `${large.byKind.list} list calls of ${large.apiCalls} (${expected} expected), ${large.seconds.toFixed(1)} s`,
        ),
        check(
          `sahut-scan: peak RSS of the scanning process flat within ${FLAT_WITHIN * 100} % from M/10 to M`,
          growth <= FLAT_WITHIN,
          `${rssOf(small).toFixed(0)} MB → ${rssOf(large).toFixed(0)} MB (${(growth * 100).toFixed(1)} %)`,
        ),
      ],
    };
  },
};
