import { openBenchEngine } from '../harness/engine.ts';
import { fixtureShape } from '../harness/fixture.ts';
import { acceptedRate, measureRun, utilisation } from '../harness/measure.ts';
import { crmRecords } from '../harness/records.ts';
import { formatKinds } from '../harness/table.ts';
import { check, type Scenario } from '../harness/types.ts';

/**
 * An initial sync through a Sahut that answers in `latencyMs` and enforces R req/s,
 * with WORKER_CONCURRENCY left at its default (unless --concurrency): the engine
 * must use the allowed rate whatever the latency, without hand-tuning.
 */
export function latency(latencyMs: number): Scenario {
  const name = `latency-${latencyMs}ms`;
  return {
    name,
    summary: `initial sync of the latency records, Sahut answering in ${latencyMs} ms and enforcing R req/s`,
    async run(opts) {
      const records = opts.latencyRecords;
      const { rate, concurrency } = opts;
      const engine = await openBenchEngine(
        { rate, latencyMs, concurrency, redisUrl: opts.redis.url },
        crmRecords(records),
      );
      try {
        await engine.sahut.seed(fixtureShape(records));
        const ctx = { label: name, records, rate, sahut: engine.sahut, redisPid: opts.redis.pid };
        const { m, run } = await measureRun(ctx, () => engine.run());
        const used = utilisation(m) ?? 0;
        return {
          rows: [m],
          notes: [
            `calls: ${formatKinds(m)}; run counts: ${JSON.stringify(run.counts)}`,
            // Little's law: what was in flight on average, against what the limit needs at this latency.
            `WORKER_CONCURRENCY ${engine.config.worker.concurrency}${concurrency ? ' (--concurrency)' : ' (default)'}; ` +
              `requests in flight ≈ ${((acceptedRate(m) * latencyMs) / 1000).toFixed(1)} on average, ` +
              `${((rate * latencyMs) / 1000).toFixed(1)} needed for ${rate} req/s at ${latencyMs} ms`,
          ],
          checks: [
            check(
              `${name}: ≥ 90 % of the rate limit used, no 429`,
              used >= 0.9 && m.rejected429 === 0,
              `${(used * 100).toFixed(1)} % of ${rate} req/s, ${m.rejected429} × 429`,
            ),
          ],
        };
      } finally {
        await engine.close();
      }
    },
  };
}
