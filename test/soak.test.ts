import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './helpers/chaos/schedule.ts';
import { runCli, runSummaries } from './helpers/cli.ts';
import { sparePort } from './helpers/redis-topology.ts';
import { duplicates, lags, percentile } from './helpers/soak/checks.ts';
import { judgeDeletions } from './helpers/soak/deletions.ts';
import { type SoakDeployment, soakDeployment } from './helpers/soak/deployment.ts';
import { startEditor } from './helpers/soak/editor.ts';
import { type Edit, SOAK_OWNERS } from './helpers/soak/edits.ts';
import { classifyFates, type FateVerdict } from './helpers/soak/fate.ts';
import {
  auditRows,
  conflictsOf,
  crmArrivals,
  openLinks,
  readSides,
  sahutArrivals,
} from './helpers/soak/observe.ts';
import { startFleet } from './helpers/soak/processes.ts';
import { history, idleWindow, quiesce } from './helpers/soak/settle.ts';
import { type SoakKind, WEBHOOK_SECRET } from './helpers/soak/tables.ts';

/**
 * The live soak suite (issue 20): the deployment as it runs in production — a `sahut-sync
 * scheduler` (`notify: true`, both directions on a cron every 3 s) and three `sahut-sync worker`s
 * over a PostgreSQL and a MariaDB CRM, Sahut played by the sandbox with latency and 3 % 5xx —
 * while a seeded editor makes about 5 edits a second on both sides, a worker is SIGKILLed about
 * every 30 s and the scheduler once; 5 % of the time a person is removed instead, on either side
 * (issue 21: soft and hard deletes, a person deleted and entered again, a contact deleted or merged
 * in Sahut). Once the editor stops and the sync settles, the fate of every edit is judged from the
 * edit log, both sides and the audit's conflicts (`classifyFates`), every removal from the audit
 * and the links (`judgeDeletions`; a removed record's edits are not judged), then 30 idle seconds
 * must make no call and no write.
 *
 * In `npm test`: 20 s of edits, 30 rows per CRM, 10 idle seconds. `npm run test:soak`: 180 s,
 * 150 rows per CRM (few, so that edits meet), 30 idle seconds, SOAK_REPEAT seeds in a row.
 * SOAK_SEED replays a seed (printed first); SOAK_SECONDS, SOAK_ROWS, SOAK_IDLE_SECONDS,
 * SOAK_RATE (edits a second) and SOAK_CRMS (`postgres,mariadb`; `hubspot` is a HubSpot account played
 * by the HubSpot sandbox, its webhooks delivered to a `sahut-sync serve`: docs/guarantees.md, On
 * HubSpot) set the rest.
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 20);
const FULL = SECONDS >= 120;
const ROWS = Number(process.env.SOAK_ROWS ?? (FULL ? 150 : 30));
const IDLE_SECONDS = Number(process.env.SOAK_IDLE_SECONDS ?? (FULL ? 30 : 10));
const RATE = Number(process.env.SOAK_RATE ?? 5);
const KINDS = (process.env.SOAK_CRMS ?? 'postgres,mariadb').split(',') as SoakKind[];
const REPEAT = Number(process.env.SOAK_REPEAT ?? 1);
const FIRST_SEED = process.env.SOAK_SEED ? Number(process.env.SOAK_SEED) : randomInt(2 ** 31);
const QUIET_MS = 7000;

describe(`soak: ${SECONDS} s of edits on both sides of ${KINDS.join(' and ')} CRMs, workers killed`, () => {
  for (let i = 0; i < REPEAT; i++) {
    const seed = FIRST_SEED + i;
    it(
      `seed ${seed}: lost / divergent / phantom / duplicate / idle-writes = 0 / 0 / 0 / 0 / 0`,
      () => soakRun(seed),
      (SECONDS + IDLE_SECONDS + (FULL ? 300 : 100)) * 1000,
    );
  }
});

async function soakRun(seed: number) {
  const began = Date.now();
  const log = (line: string) =>
    console.log(
      `[soak ${seed} ${new Date().toISOString().slice(11, 23)} +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}`,
    );
  log(
    `seed ${seed}: ${SECONDS} s, ${ROWS} rows per CRM (${KINDS.join(', ')}), ${RATE} edits/s ` +
      `(replay: SOAK_SEED=${seed} SOAK_SECONDS=${SECONDS} SOAK_ROWS=${ROWS} SOAK_CRMS=${KINDS.join(',')})`,
  );
  const random = seededRandom(seed);
  const d = await soakDeployment(KINDS, ROWS, random, {
    WORKER_CONCURRENCY: '4',
    JOB_LOCK_MS: '4000',
    JOB_BACKOFF_MS: '200',
    SHUTDOWN_GRACE_MS: '2000',
    SAHUT_RATE_LIMIT: '200',
    SAHUT_TIMEOUT_MS: '10000',
  });
  const fleet = startFleet(
    d.env,
    3,
    log,
    d.crms.some((c) => c.table.kind !== 'hubspot'),
  );
  try {
    await initialSync(d, log);
    const start = await readSides(d);
    const initial = new Map([...start.final].map(([record, sides]) => [record, sides.crm ?? {}]));
    for (const crm of d.crms)
      for (const [record, contactId] of start.links)
        if (record.startsWith(`${crm.connection.name}:`))
          crm.contacts.set(record.split(':')[1] as string, contactId);
    await fleet.startScheduler();
    // HubSpot has no notify: its webhooks to `serve` bring its changes within seconds, the cron stays the safety net.
    const hubspot = d.crms.flatMap(({ table, connection }) => (table.hubspot ? [{ table, connection }] : []));
    if (hubspot.length > 0) {
      const port = await sparePort();
      await fleet.startServe(port);
      for (const { table, connection } of hubspot)
        table.hubspot?.setWebhook({
          url: `http://127.0.0.1:${port}/webhooks/hubspot/${connection.name}`,
          clientSecret: WEBHOOK_SECRET,
        });
    }

    const editor = startEditor({
      random,
      crms: d.crms,
      baseUrl: d.baseUrl,
      journal: d.journal,
      rate: RATE,
      initial,
    });
    // The kills draw from their own stream, so that their timing never shifts the editor's draws.
    await chaos(fleet, seededRandom(seed + 0x5eed), log);
    await editor.stop();
    const crmEdits = editor.edits.filter((e) => e.side === 'crm').length;
    log(
      `editor stopped: ${editor.edits.length} edits (${crmEdits} CRM, ${editor.edits.length - crmEdits} agents), ` +
        `removals ${JSON.stringify(countBy(editor.deletions.map((x) => x.kind)))}`,
    );

    const contactless = new Set(
      editor.deletions.filter((x) => x.kind.startsWith('sahut-')).map((x) => x.record),
    );
    const outcomes = (kind: string) =>
      kind.startsWith('sahut-') ? ['gone-in-sahut', 'relinked'] : ['deleted'];
    const removalsDone = async () => {
      const rows = await auditRows(d, new Date(began));
      const done = new Set(rows.map((r) => `${r.connection}:${r.crmId} ${r.action}`));
      return editor.deletions.every((x) => outcomes(x.kind).some((a) => done.has(`${x.record} ${a}`)));
    };
    const quiet = await quiesce(d, QUIET_MS, FULL ? 180_000 : 45_000, log, contactless, removalsDone);
    const idle = await idleWindow(d, IDLE_SECONDS, log);
    const end = await readSides(d);
    const audit = await auditRows(d, new Date(began));
    const conflicts = conflictsOf(audit.filter((r) => r.action === 'conflict'));
    const del = judgeDeletions({
      deletions: editor.deletions,
      audit: audit.map((r) => ({
        record: `${r.connection}:${r.crmId}`,
        action: r.action,
        at: r.at.getTime(),
        sahutId: r.sahutId,
      })),
      links: await openLinks(d),
      contacts: new Set(d.sandbox.contacts().map((c) => c.id)),
      posts: d.journal.writes
        .filter((w) => w.contactId === null)
        .map((w) => ({ at: w.at, phone: w.body.phone, email: w.body.email })),
    });
    const kept = <T>(m: ReadonlyMap<string, T>) => new Map([...m].filter(([r]) => !del.excluded.has(r)));
    const window = [...d.journal.overwrites, ...d.crms.flatMap(({ table }) => table.overwrites ?? [])];
    const v = classifyFates({
      owners: SOAK_OWNERS,
      onConflict: 'crm',
      initial: kept(initial),
      createdAt: createdAt(audit),
      edits: editor.edits.filter((e) => !del.excluded.has(e.record)),
      conflicts,
      window,
      final: kept(end.final),
    });
    // A record flagged gone-in-sahut whose last CRM change never reached Sahut is read again by every
    // crm-to-sahut run in the cursor overlap, each read a GET that answers 404 (docs/deletions.md, Limits).
    const goneContacts = new Set(
      editor.deletions.filter((x) => x.kind.startsWith('sahut-')).map((x) => x.contactId),
    );
    const idleGetsOfGone = idle.gotIds.filter((id) => goneContacts.has(id)).length;
    const dup = duplicates({ ...end, contacts: end.contacts.filter((c) => !del.unlinked.has(c.id)) });
    const sandboxes = hubspot.flatMap(({ table }) => (table.hubspot ? [table.hubspot] : []));
    const limits = sandboxes.map((h) => h.limitCounters());
    const hooks = sandboxes.map((h) => h.webhookStats());
    const lag = lags(editor.edits, v.fates, sahutArrivals(d, end.links), crmArrivals(audit));
    const fates = countBy([...v.fates.values()]);
    const line =
      `lost / divergent / phantom / duplicate / idle-writes = ${v.lost.length} / ${v.divergent.length} / ` +
      `${v.phantom.length} / ${dup.count} / ${idle.writes}; ` +
      `deleted / relinked / gone-in-sahut = ${del.counts.deleted} / ${del.counts.relinked} / ${del.counts.goneInSahut} ` +
      `(${editor.deletions.length} removals, ${del.problems.length} wrong)`;
    const p = (xs: number[], q: number) => `${((percentile(xs, q) ?? Number.NaN) / 1000).toFixed(1)}`;
    console.log(
      `soak seed ${seed}: ${line}; window ${v.window.length}; idle GETs by id ${idle.getsById} (${idleGetsOfGone} of contacts deleted in Sahut); ` +
        `lag crm→sahut p50 ${p(lag.crmToSahut, 50)} s p95 ${p(lag.crmToSahut, 95)} s (${lag.crmToSahut.length}), ` +
        `sahut→crm p50 ${p(lag.sahutToCrm, 50)} s p95 ${p(lag.sahutToCrm, 95)} s (${lag.sahutToCrm.length}); ` +
        `workers' peak RSS ${fleet.peakRssMb().join(' / ')} MB; ${editor.edits.length} edits ${JSON.stringify(fates)}; ` +
        `${conflicts.length} conflicts written down; settled in ${quiet}; ${perCrm(d, editor.edits, v)}` +
        limits
          .map(
            (l, i) =>
              `; HubSpot: peak ${l.peakTenSecondly}/100 per 10 s, ${l.peakSearchSecondly}/5 searches per s, ` +
              `${l.daily} calls, limit rejections ${JSON.stringify(l.rejected)}, answers ${JSON.stringify(sandboxes[i]?.statusCounts())}, ` +
              `webhooks ${hooks[i]?.events} events in ${hooks[i]?.posts} POSTs answered ${JSON.stringify(hooks[i]?.outcomes)}`,
          )
          .join(''),
    );
    const logFile = join(tmpdir(), `sahut-sync-soak-${seed}.json`);
    await writeFile(
      logFile,
      JSON.stringify({
        seed,
        edits: editor.edits,
        deletions: editor.deletions,
        window,
        conflicts,
      }),
    );
    const problems = [
      ...v.lost.map((f) => `lost: ${f.record} ${f.field}: ${f.what}`),
      ...v.divergent.map((f) => `divergent: ${f.record} ${f.field}: ${f.what}`),
      ...v.phantom.map((f) => `phantom: ${f.record} ${f.field}: ${f.what}`),
      ...dup.examples.map((e) => `duplicate: ${e}`),
      ...del.problems.map((f) => `removal: ${f.record}: ${f.what}`),
      ...v.window.map((f) => `window (not a failure): ${f.record} ${f.field}: ${f.what}`),
      ...editor.errors.map((e) => `editor: ${e}`),
      ...fleet.unexpected,
    ];
    if (problems.length > 0) log(`edit log: ${logFile}\n${problems.slice(0, 40).join('\n')}`);
    for (const f of [...v.lost, ...del.problems].slice(0, 3)) log(history(audit, f.record));
    for (const f of del.problems.slice(0, 3)) {
      const [connection = '', crmId = ''] = f.record.split(':');
      const noted = await Promise.all(
        (['sahut', 'crm'] as const).map((side) => d.store.getRemoval(connection, crmId, side)),
      );
      log(`removals noted for ${f.record}: ${JSON.stringify(noted)}`);
    }

    expect({
      lost: v.lost.length,
      divergent: v.divergent.length,
      phantom: v.phantom.length,
      duplicate: dup.count,
      idleWrites: idle.writes,
      idleGetsById: idle.getsById - idleGetsOfGone,
    }).toEqual({ lost: 0, divergent: 0, phantom: 0, duplicate: 0, idleWrites: 0, idleGetsById: 0 });
    expect(del.problems, 'removals that did not end as docs/deletions.md says').toEqual([]);
    expect(editor.errors, 'edits that failed').toEqual([]);
    for (const h of hooks)
      expect(Object.keys(h.outcomes), "serve's answers to HubSpot's webhooks").toEqual(['200']);
    // HubSpot's limits are the app's: the sync's calls alone (people edit in HubSpot's UI).
    for (const l of limits)
      expect(l.rejected, "HubSpot's 429s for a limit reached").toEqual({
        TEN_SECONDLY_ROLLING: 0,
        SECONDLY: 0,
        DAILY: 0,
      });
    expect(fleet.unexpected, 'processes that ended by themselves').toEqual([]);
    expect(editor.edits.length, 'the editor edited at about its rate').toBeGreaterThan(SECONDS * RATE * 0.5);
  } finally {
    await fleet.stop();
    await d.dispose();
  }
}

/** `run --once` of each connection, both directions: every row gets its contact before the soak. */
async function initialSync(d: SoakDeployment, log: (line: string) => void) {
  const runs = await Promise.all(
    d.crms.map((crm) => runCli(['run', '--once', '--connection', crm.connection.name], d.env)),
  );
  for (const { code, output } of runs) {
    const summaries = runSummaries(output).map(
      (s) => `${s.connection} ${s.direction} ${JSON.stringify(s.counts)}`,
    );
    log(`initial sync exited ${code}: ${summaries.join('; ')}`);
    if (code !== 0) throw new Error(`the initial sync failed:\n${output.slice(-3000)}`);
  }
}

/** The editor's span: a worker SIGKILLed about every 30 s (once in a short run), the scheduler once. */
async function chaos(
  fleet: ReturnType<typeof startFleet>,
  random: () => number,
  log: (line: string) => void,
) {
  const t0 = Date.now();
  const kills: number[] = [];
  if (FULL) for (let at = 25 + random() * 10; at < SECONDS - 5; at += 25 + random() * 10) kills.push(at);
  else kills.push(SECONDS * (0.3 + random() * 0.3));
  const events = [
    ...kills.map((at) => ({ at, act: () => fleet.killWorker(random) })),
    { at: SECONDS * (0.3 + random() * 0.4), act: () => fleet.restartScheduler() },
  ].sort((a, b) => a.at - b.at);
  log(
    `chaos: worker kills at ${kills.map((s) => `${s.toFixed(0)} s`).join(', ')}, scheduler restart included`,
  );
  for (const e of events) {
    await sleep(Math.max(0, t0 + e.at * 1000 - Date.now()));
    await e.act();
  }
  await sleep(Math.max(0, t0 + SECONDS * 1000 - Date.now()));
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

/** Each CRM's share: its edits, and its lost / divergent / phantom findings. */
function perCrm(d: SoakDeployment, edits: readonly Edit[], v: FateVerdict): string {
  return d.crms
    .map(({ connection, table }) => {
      const mine = (record: string) => record.startsWith(`${connection.name}:`);
      const n = (fs: readonly { record: string }[]) => fs.filter((f) => mine(f.record)).length;
      return `${table.kind}: ${edits.filter((e) => mine(e.record)).length} edits, lost / divergent / phantom ${n(v.lost)} / ${n(v.divergent)} / ${n(v.phantom)}`;
    })
    .join('; ');
}

/** When each record's contact was created (its first `created` audit row). */
function createdAt(audit: Awaited<ReturnType<typeof auditRows>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of audit) {
    const record = `${r.connection}:${r.crmId}`;
    if (r.action === 'created') out.set(record, Math.min(out.get(record) ?? Infinity, r.at.getTime()));
  }
  return out;
}
