import { cpus } from 'node:os';
import { duplicateCheck } from '../harness/checks.ts';
import { openDeployment } from '../harness/deployment.ts';
import { measureDeploymentRun } from '../harness/deployment-run.ts';
import { fixtureShape } from '../harness/fixture.ts';
import { perSecond } from '../harness/measure.ts';
import { formatKinds } from '../harness/table.ts';
import { check, type Scenario } from '../harness/types.ts';

const TARGET = 800;
const CPU_TARGET_MS = 2;

/**
 * The whole deployment on this machine with Sahut not limiting: what the engine
 * itself costs end to end. The connection keeps its default matching mode.
 */
export const e2e: Scenario = {
  name: 'e2e',
  summary: 'PostgreSQL CRM table → `worker` processes + `run --once`, PostgreSQL store, Sahut not limiting',
  async run(opts) {
    const records = opts.e2eRecords;
    const shape = fixtureShape(records);
    const d = await openDeployment({
      records,
      seed: shape,
      concurrency: opts.concurrency,
      redisUrl: opts.redis.url,
    });
    try {
      await d.startWorkers(opts.workers);
      const label = `e2e ${opts.workers} workers`;
      const { m, run } = await measureDeploymentRun(d, { label, records, redisPid: opts.redis.pid });
      const rate = perSecond(m);
      const workerRss = m.processes.filter((p) => p.name.startsWith('worker-')).map((p) => p.peakRssMb ?? 0);
      // Throughput here follows the others' load; CPU per record does not. What the CPU allows on idle cores:
      const standIn =
        m.processes.filter((p) => p.role === 'sahut').reduce((n, p) => n + p.cpuMs, 0) / records;
      const ceiling = (cpus().length * 1000) / (m.cpuMsPerRecord + standIn);
      return {
        rows: [m],
        notes: [
          `calls: ${formatKinds(m)}; run counts: ${JSON.stringify(run.counts)}`,
          `worker peak RSS: ${workerRss.map((v) => v.toFixed(0)).join(', ')} MB`,
          `CPU-bound ceiling on these ${cpus().length} cores if idle: ${cpus().length} × 1000 ÷ ` +
            `(${m.cpuMsPerRecord.toFixed(2)} ms ours + ${standIn.toFixed(2)} ms the stand-in's) ≈ ${ceiling.toFixed(0)} records/s`,
        ],
        checks: [
          check(
            `e2e: ≥ ${TARGET} records/s end to end, ${opts.workers} workers + run --once, Sahut not limiting`,
            rate >= TARGET,
            `${rate.toFixed(0)} records/s (${records} records in ${m.seconds.toFixed(1)} s), ` +
              `${m.cpuMsPerRecord.toFixed(2)} ms CPU/record (idle-machine ceiling ≈ ${ceiling.toFixed(0)}/s), load ${m.load.toFixed(1)}`,
          ),
          check(
            `e2e: ≤ ${CPU_TARGET_MS} CPU ms per record across every process (workers, run --once, PostgreSQL, Redis; the stand-in apart)`,
            m.cpuMsPerRecord <= CPU_TARGET_MS,
            `${m.cpuMsPerRecord.toFixed(2)} ms (${records} records, load ${m.load.toFixed(1)})`,
          ),
          await duplicateCheck('e2e', d.sahut, run, { records, ...shape }),
        ],
      };
    } finally {
      await d.close();
    }
  },
};
