import { duplicateCheck, skipped, supportsMatch } from '../harness/checks.ts';
import { openDeployment } from '../harness/deployment.ts';
import { measureDeploymentRun } from '../harness/deployment-run.ts';
import { fixtureShape } from '../harness/fixture.ts';
import { formatKinds } from '../harness/table.ts';
import { type BenchOptions, check, type Scenario } from '../harness/types.ts';

const CALLS_PER_NEW = 1.05;
const RSS_LIMIT_MB = 300;
const FLAT_WITHIN = 0.25;

async function syncWithScan(opts: BenchOptions, records: number) {
  const shape = fixtureShape(records);
  const d = await openDeployment({
    records,
    seed: shape,
    match: 'scan',
    concurrency: opts.concurrency,
    redisUrl: opts.redis.url,
  });
  try {
    await d.startWorkers(opts.workers);
    const { m, run } = await measureDeploymentRun(d, {
      label: `scan ${records}`,
      records,
      redisPid: opts.redis.pid,
    });
    const created = run.counts.created ?? 0;
    // What matching and creating cost: every call but the PUTs that update contacts already there.
    const perNew = (m.apiCalls - m.byKind.put) / Math.max(1, created);
    const workerPeakMb = Math.max(
      0,
      ...m.processes.filter((p) => p.name.startsWith('worker-')).map((p) => p.peakRssMb ?? 0),
    );
    const dup = await duplicateCheck(`scan-initial ${records}`, d.sahut, run, { records, ...shape });
    return { m, run, perNew, workerPeakMb, dup };
  } finally {
    await d.close();
  }
}

/** The initial sync with `match: scan` at N/10 and N records, in the multi-process deployment. */
export const scanInitial: Scenario = {
  name: 'scan-initial',
  summary:
    'initial sync with match: scan of N/10 and N (--scan-records) PostgreSQL CRM rows, Sahut not limiting',
  async run(opts) {
    const n = opts.scanRecords;
    if (!supportsMatch('scan')) {
      const why = 'not supported yet: connections do not accept options.match: scan';
      return {
        rows: [],
        notes: [`SKIP (${why})`],
        checks: [
          skipped(
            `scan-initial: ≤ ${CALLS_PER_NEW} Sahut calls per new record, scan included; 0 duplicates`,
            why,
          ),
          skipped(`scan-initial: worker peak RSS ≤ ${RSS_LIMIT_MB} MB and flat in N`, why),
        ],
      };
    }
    const small = await syncWithScan(opts, Math.max(10, Math.round(n / 10)));
    const large = await syncWithScan(opts, n);
    const growth = large.workerPeakMb / small.workerPeakMb - 1;
    const line = (r: typeof small) =>
      `${r.m.records} records: ${formatKinds(r.m)}; run counts ${JSON.stringify(r.run.counts)}; ` +
      `${r.perNew.toFixed(3)} calls per new record (PUTs of existing contacts aside); worker peak RSS ${r.workerPeakMb.toFixed(0)} MB`;
    return {
      rows: [small.m, large.m],
      notes: [line(small), line(large)],
      checks: [
        check(
          `scan-initial: ≤ ${CALLS_PER_NEW} Sahut calls per new record, scan included (N=${n})`,
          large.perNew <= CALLS_PER_NEW,
          `${large.perNew.toFixed(3)} (${large.m.apiCalls - large.m.byKind.put} calls, ${large.run.counts.created ?? 0} created)`,
        ),
        large.dup,
        check(
          `scan-initial: worker peak RSS ≤ ${RSS_LIMIT_MB} MB at N=${n} (the target is set at 100,000)`,
          large.workerPeakMb <= RSS_LIMIT_MB,
          `${large.workerPeakMb.toFixed(0)} MB`,
        ),
        check(
          `scan-initial: worker peak RSS flat within ${FLAT_WITHIN * 100} % from N/10 to N`,
          growth <= FLAT_WITHIN,
          `${small.workerPeakMb.toFixed(0)} MB → ${large.workerPeakMb.toFixed(0)} MB (${(growth * 100).toFixed(1)} %)`,
        ),
      ],
    };
  },
};
