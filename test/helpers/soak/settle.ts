import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditRow } from '../../../src/store/types.ts';
import { until } from '../env.ts';
import type { SoakDeployment } from './deployment.ts';
import { auditRows, readSides } from './observe.ts';

/**
 * Until both sides agree, the sync wrote nothing to Sahut for `quietMs` and `removalsDone` holds
 * (at most `deadlineMs`); `contactless`: records whose contact was deleted in Sahut on purpose,
 * which never agree. A contact gone from Sahut is found by two complete scans in a row, which
 * the editor's own writes keep from being complete: it may be judged only once the edits stop.
 */
export async function quiesce(
  d: SoakDeployment,
  quietMs: number,
  deadlineMs: number,
  log: (line: string) => void,
  contactless: ReadonlySet<string> = new Set(),
  removalsDone: () => Promise<boolean> = async () => true,
): Promise<string> {
  const from = Date.now();
  let disagreeing = -1;
  try {
    await until(
      async () => {
        const last = d.journal.writes.at(-1)?.at ?? 0;
        if (Date.now() - last < quietMs) return false;
        const { final } = await readSides(d);
        disagreeing = [...final].filter(([r, s]) => !contactless.has(r) && !same(s.crm, s.sahut)).length;
        return disagreeing === 0 && (await removalsDone());
      },
      deadlineMs,
      'both sides to agree',
    );
  } catch {
    log(`not settled: ${disagreeing} records still differ, or a removal has no outcome yet`);
  }
  return `${((Date.now() - from) / 1000).toFixed(1)} s`;
}

/** The sync's write requests to HubSpot so far (the sandbox counts the app's requests only). */
function hubspotWrites(d: SoakDeployment): number {
  let n = 0;
  for (const { table } of d.crms)
    for (const [route, count] of Object.entries(table.hubspot?.counts() ?? {}))
      if (!route.startsWith('GET ') && !route.endsWith('/search') && !route.endsWith('/batch/read'))
        n += count;
  return n;
}

/** `seconds` with nobody editing: the sync's Sahut writes and GETs by id, and every CRM write. */
export async function idleWindow(d: SoakDeployment, seconds: number, log: (line: string) => void) {
  const from = Date.now();
  const before = JSON.stringify(await Promise.all(d.crms.map((c) => c.table.rows())));
  const hubspotBefore = hubspotWrites(d);
  await sleep(seconds * 1000);
  const after = JSON.stringify(await Promise.all(d.crms.map((c) => c.table.rows())));
  const hubspot = hubspotWrites(d) - hubspotBefore;
  const calls = d.journal.syncCounts(from);
  const rows = await auditRows(d, new Date(from));
  const written = rows.filter((r) => r.diff !== null);
  const writes =
    (calls['PUT /contacts/:id'] ?? 0) +
    (calls['POST /contacts'] ?? 0) +
    written.length +
    hubspot +
    (before === after ? 0 : 1);
  // What the sync still did to records while nobody edited: each record's actions, for the log.
  const busy = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.connection}:${r.crmId} ${r.direction} ${r.action}${r.error ? ` (${r.error})` : ''}`;
    busy.set(key, (busy.get(key) ?? 0) + 1);
  }
  log(
    `idle ${seconds} s: the sync's calls ${JSON.stringify(calls)}, ${hubspot} HubSpot writes, ${written.length} audit rows with writes` +
      [...busy].map(([key, n]) => `\n  ${n}× ${key}`).join(''),
  );
  return { writes, getsById: calls['GET /contacts/:id'] ?? 0, gotIds: d.journal.syncGets(from) };
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    JSON.stringify(v, (_k, x: unknown) => (Array.isArray(x) ? [...x].sort() : x), undefined);
  return a !== null && b !== null && norm(a) === norm(b);
}

/** One record's audit trail, oldest first, for the log of a lost edit. */
export function history(audit: readonly AuditRow[], record: string) {
  const [connection, crmId] = record.split(':');
  const lines = audit
    .filter((r) => r.connection === connection && r.crmId === crmId)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map(
      (r) =>
        `  ${r.at.toISOString().slice(11, 23)} ${r.direction} ${r.runId} #${r.attempt} ${r.action} ${JSON.stringify(r.diff)} ${r.error ?? ''}`,
    );
  return `history of ${record}:\n${lines.join('\n')}`;
}
