import { setTimeout as delay } from 'node:timers/promises';
import { openDeployment } from '../harness/deployment.ts';
import type { SahutCounts } from '../harness/sahut.ts';
import { check, type Scenario } from '../harness/types.ts';

const SHARE = 0.2; // SCAN_RATE_SHARE's default
const SLACK = 0.03;
const CONTACTS = 10_000;
const RECORDS = 1_000;

const calls = (c: SahutCounts) => Object.values(c.byKind).reduce((n, k) => n + k, 0);

/**
 * A `sahut-to-crm` pass (a full paged scan) of one connection started while
 * another connection's `crm-to-sahut` run keeps Sahut's limit busy with record writes: processes, PostgreSQL, Sahut
 * enforcing R. Over the pass's life, list calls should be at most
 * SCAN_RATE_SHARE of the calls; the writes get the rest.
 */
export const scanShare: Scenario = {
  name: 'scan-share',
  summary: `a sahut-to-crm pass over ${CONTACTS} contacts beside another connection's run writing, Sahut enforcing R`,
  async run(opts) {
    const d = await openDeployment({
      records: RECORDS,
      seed: { unrelated: CONTACTS, matching: 0 },
      // Two connections on one Sahut and its limit: one writing, the other passing over Sahut
      // (one run per connection at a time, so a connection's own pass never runs beside its writes).
      second: 'reader',
      // Per-record searches: every call of the writing run is a record's, none a scan's.
      match: 'search',
      concurrency: opts.concurrency,
      redisUrl: opts.redis.url,
      rate: opts.rate,
    });
    try {
      await d.startWorkers(opts.workers);
      const writing = d.runOnce('crm-to-sahut');
      for (const deadline = Date.now() + 60_000; (await d.sahut.counts()).byKind.post < 50; await delay(100))
        if (Date.now() > deadline) throw new Error('the writing run made no POST within 60 s');
      const before = await d.sahut.counts();
      const started = performance.now();
      const pass = d.runOnce('sahut-to-crm', 'reader');
      const { code } = await pass.exited;
      if (code !== 0)
        throw new Error(`the sahut-to-crm pass exited with ${code}:\n${pass.output().slice(-2000)}`);
      const seconds = (performance.now() - started) / 1000;
      const after = await d.sahut.counts();
      const stillWriting = writing.child.exitCode === null;
      const list = after.byKind.list - before.byKind.list;
      const all = calls(after) - calls(before);
      const share = list / all;
      const pages = Math.ceil(CONTACTS / 100);
      const alone = pages / (opts.rate * 0.97);
      return {
        rows: [],
        notes: [
          `during the pass (${seconds.toFixed(1)} s): ${list} list calls of ${all} (${(share * 100).toFixed(1)} %), ` +
            `the writing run ${stillWriting ? 'still running at its end' : 'ended before it (the share is then diluted)'}`,
          `a pass is ${pages} list calls: ${alone.toFixed(1)} s alone at ${opts.rate} req/s paced at 97 %, ` +
            `${(alone / SHARE).toFixed(1)} s at SCAN_RATE_SHARE=${SHARE}`,
        ],
        checks: [
          check(
            `scan-share: the pass takes ≤ SCAN_RATE_SHARE (${SHARE}) of the calls while writes run`,
            share <= SHARE + SLACK && stillWriting && list >= pages,
            `${(share * 100).toFixed(1)} % (${list} list of ${all} calls), writes ${stillWriting ? 'ran throughout' : 'ended first'}`,
          ),
        ],
      };
    } finally {
      await d.close();
    }
  },
};
