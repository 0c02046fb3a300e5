import type { StoredContact } from '../../../src/sandbox/index.ts';
import { OUTCOME_ACTIONS, type Run, type Store } from '../../../src/store/types.ts';
import { prepareRecord } from '../../../src/sync/apply/prepare.ts';
import { sameTags, sameValue } from '../../../src/sync/compare.ts';
import { projectSahut } from '../../../src/sync/project.ts';
import type { Agents } from './agents.ts';
import { type ChaosDeployment, describeEntry } from './deployment.ts';
import type { CrmEditRecord } from './driver.ts';
import type { ChaosRemoval } from './removals.ts';
import { judgeChaosRemovals } from './verdict-removals.ts';
import { judgeWalkIns, lostEdits } from './verdict-two-way.ts';

export interface Verdict {
  /** Valid CRM rows with no contact holding their phone or email; walk-ins `lead` without a CRM row or link. */
  missing: number;
  /**
   * Contacts beyond one per valid CRM row (a row matching several, a contact matching none) and
   * CRM rows beyond one per contact (a walk-in created twice), links beyond one per walk-in.
   */
  duplicate: number;
  /**
   * Contacts whose mapped fields differ from their CRM row (as the mapping normalises it), agents'
   * edits lost (never in the CRM, and no conflict row saying why), walk-ins the option does not
   * select that got a CRM row anyway.
   */
  wrong: number;
  /** Records a run read that got no outcome in it nor in any later run, and every record of a run still running. */
  unaccounted: number;
  /** The removals, for the log: how many of each outcome, and what went wrong (counted in `wrong`). */
  removals: {
    made: number;
    deleted: number;
    relinked: number;
    goneInSahut: number;
    wrong: number;
    orphans: number;
  };
  /** The two-way part, for the log: agents' edits and walk-ins checked, and what of them went wrong. */
  twoWay: { edits: number; lost: number; unnamed: number; walkIns: number; walkInsWrong: number } | null;
  /** Up to a few examples of each problem, for the log. */
  examples: string[];
  valid: number;
}

const ATTENTION = 12;
const WALK_IN = 'sahut:';

/**
 * Compares Sahut (the sandbox) with the CRM table, the agents' edits and
 * walk-ins with what the CRM and the links hold, every removal with the audit
 * and the links, and the books of every run in the store.
 */
export async function judge(
  d: ChaosDeployment,
  agents: Agents | null,
  crmEdits: readonly CrmEditRecord[],
  removals: readonly ChaosRemoval[],
): Promise<Verdict> {
  const examples: string[] = [];
  const note = (line: string) => examples.length < ATTENTION && examples.push(line);
  const rows = await d.crm.rows();
  const contacts = d.sandbox.contacts();
  const removed = await judgeRemovals(d, removals, contacts);
  for (const p of removed.problems) note(p);
  const byKey = indexContacts(contacts);
  /** Contact id → the valid CRM rows holding its phone or email. */
  const claims = new Map<string, string[]>();
  let [missing, duplicate, wrong, valid] = [0, 0, 0, 0];
  const troubled: string[] = [];
  for (const row of rows) {
    const prepared = prepareRecord({ id: String(row.id), data: row }, d.connection, 'ID');
    if (prepared.kind === 'rejected' || removed.flaggedRows.has(String(row.id))) continue;
    valid++;
    const { phone, email } = prepared.contact;
    const found = [
      ...new Set([...(byKey.get(`p:${phone}`) ?? []), ...(byKey.get(`e:${email}`) ?? [])]),
    ] as StoredContact[];
    for (const c of found) claims.set(c.id, [...(claims.get(c.id) ?? []), String(row.id)]);
    if (found.length === 0) {
      missing++;
      troubled.push(String(row.id));
      note(`missing: crm ${row.id} (${phone}, ${email})`);
      continue;
    }
    if (found.length > 1) {
      duplicate += found.length - 1;
      troubled.push(String(row.id));
      note(
        `duplicate: crm ${row.id} matches contacts ${found.map((c) => `${c.id} (created ${c.created_at})`).join(', ')}`,
      );
    }
    const differs = differences(prepared.contact, found[0] as StoredContact);
    if (differs.length > 0) {
      wrong++;
      troubled.push(String(row.id));
      note(`wrong: crm ${row.id} (updated_at ${String(row.updated_at)}) ${differs.join('; ')}`);
    }
  }
  const leftAlone = new Set(agents?.walkIns.filter((w) => !w.selected).map((w) => w.sahutId));
  for (const c of contacts) {
    const held = claims.get(c.id) ?? [];
    if (held.length > 1) {
      duplicate += held.length - 1;
      troubled.push(...held);
      note(`duplicate: contact ${c.id} (${c.phone}, ${c.email}) is held by CRM rows ${held.join(', ')}`);
    }
    if (held.length === 0 && !leftAlone.has(c.id) && !removed.accounted.has(c.id)) {
      duplicate++;
      note(`stray contact ${c.id} (${c.phone}, ${c.email}) matches no CRM row`);
    }
  }
  let twoWay: Verdict['twoWay'] = null;
  if (agents) {
    const walkIns = await judgeWalkIns(d, agents, claims, note);
    const judged = agents.edits.filter((e) => !removed.removedContacts.has(e.sahutId));
    const { lost, unnamed } = await lostEdits(d, judged, rows, crmEdits, note, troubled);
    missing += walkIns.missing;
    duplicate += walkIns.duplicate;
    wrong += walkIns.wrong + lost;
    twoWay = {
      edits: agents.edits.length,
      lost,
      unnamed,
      walkIns: agents.walkIns.length,
      walkInsWrong: walkIns.missing + walkIns.duplicate + walkIns.wrong,
    };
  }
  wrong += removed.problems.length;
  const unaccounted = await unaccountedRecords(d.store, d.connection.name, note);
  for (const crmId of [...new Set(troubled)].slice(0, 4)) {
    examples.push(await history(d.store, d.connection.name, crmId));
    const [link] = (await d.store.getLinks(d.connection.name, [crmId])).values();
    if (link)
      examples.push(
        `Sahut's requests about ${link.sahutId}:\n  ${d.journal(link.sahutId).map(describeEntry).join('\n  ')}`,
      );
  }
  const removalCounts = {
    made: removals.length,
    ...removed.counts,
    wrong: removed.problems.length,
    orphans: removed.orphans.length,
  };
  for (const o of removed.orphans) note(`orphan: ${o}`);
  return { missing, duplicate, wrong, unaccounted, removals: removalCounts, twoWay, examples, valid };
}

/** The removal verdict's input read off the store, the sandbox and its journal. */
async function judgeRemovals(
  d: ChaosDeployment,
  removals: readonly ChaosRemoval[],
  contacts: readonly StoredContact[],
) {
  const name = d.connection.name;
  const records = removals.flatMap((r) => [r.crmId, ...(r.reenteredAs ? [r.reenteredAs] : [])]);
  const links = new Map(
    [
      ...(await d.store.getLinksBySahutIds(
        name,
        contacts.map((c) => c.id),
      )),
      ...(await d.store.getLinks(name, records)).values(),
    ].map((l) => [l.crmId, l.sahutId]),
  );
  const audit = (
    await Promise.all(
      removals.map(
        async (r) => (await d.store.queryAudit({ connection: name, crmId: r.crmId, limit: 200 })).rows,
      ),
    )
  )
    .flat()
    .map((a) => ({ record: a.crmId ?? '', action: a.action, at: a.at.getTime(), sahutId: a.sahutId }));
  return judgeChaosRemovals({
    removals,
    audit,
    links,
    contacts,
    posts: d.posts(),
    deletedTag: d.connection.options.crmDeletedTag,
  });
}

function indexContacts(contacts: StoredContact[]) {
  const byKey = new Map<string, StoredContact[]>();
  const add = (key: string, c: StoredContact) => byKey.set(key, [...(byKey.get(key) ?? []), c]);
  for (const c of contacts) {
    if (c.phone) add(`p:${c.phone}`, c);
    if (c.email) add(`e:${c.email}`, c);
  }
  return byKey;
}

type Prepared = Extract<ReturnType<typeof prepareRecord>, { kind: 'ready' }>['contact'];

function differences(crm: Prepared, contact: StoredContact): string[] {
  const seen = projectSahut({ ...contact }, crm, 'ID');
  const out: string[] = [];
  // A walk-in's new row has an empty name (first_name "" by the option's defaults): the contact keeps its own.
  for (const f of ['name', 'phone', 'email', 'company'] as const)
    if (!(f === 'name' && !crm.name) && !sameValue(crm[f], seen[f]))
      out.push(`${f}: CRM ${JSON.stringify(crm[f])}, Sahut ${JSON.stringify(seen[f])}`);
  if (!sameTags(crm.tags ?? [], seen.tags ?? []))
    out.push(`tags: CRM ${JSON.stringify(crm.tags)}, Sahut ${JSON.stringify(seen.tags)}`);
  for (const [key, value] of Object.entries(crm.custom_attributes ?? {}))
    if (!sameValue(value, seen.custom_attributes?.[key]))
      out.push(
        `${key}: CRM ${JSON.stringify(value)}, Sahut ${JSON.stringify(seen.custom_attributes?.[key])}`,
      );
  return out;
}

/**
 * A run's books balance when its outcomes add up to what it read (`checkBooks`).
 * A run that did not finish (its job vanished with the Redis keys) leaves
 * records without an outcome by design: the next run reads them again. Such a
 * record counts only when no later run gave it an outcome either.
 */
async function unaccountedRecords(store: Store, connection: string, note: (line: string) => void) {
  const runs = (await store.listRuns({ connection, limit: 1000 })).sort(
    (a, b) => a.startedAt.getTime() - b.startedAt.getTime(),
  );
  let unaccounted = 0;
  for (const [i, run] of runs.entries()) {
    if (run.status === 'running') {
      unaccounted += run.total;
      note(`run ${run.id} is still running (${run.total} records read)`);
      continue;
    }
    const outcomes = OUTCOME_ACTIONS.reduce((sum, a) => sum + (run.counts[a] ?? 0), 0);
    if (outcomes === run.total) continue;
    const later = new Set(runs.slice(i + 1).map((r) => r.id));
    const open = await store.unaccounted(run.id);
    if (open.length === 0) {
      unaccounted += Math.abs(run.total - outcomes);
      note(`run ${run.id}: ${run.total} read, ${outcomes} outcomes (${run.status}: ${run.note})`);
      continue;
    }
    for (const crmId of open) {
      if (!(await settledLater(store, connection, crmId, later))) {
        unaccounted++;
        note(`run ${run.id} (${run.status}) read crm ${crmId}; no run gave it an outcome`);
      }
    }
  }
  return unaccounted;
}

/**
 * A walk-in is booked under `sahut:<contact id>` until it has a CRM record; one an unfinished run
 * created is booked under that record's id from then on, so its later outcome is found by contact.
 */
async function settledLater(store: Store, connection: string, crmId: string, later: Set<string>) {
  const { rows } = await store.queryAudit({
    connection,
    ...(crmId.startsWith(WALK_IN) ? { sahutId: crmId.slice(WALK_IN.length) } : { crmId }),
    limit: 200,
  });
  return rows.some((r) => later.has(r.runId) && (OUTCOME_ACTIONS as readonly string[]).includes(r.action));
}

/** One record's audit trail, oldest first, for the log of a failed run. */
async function history(store: Store, connection: string, crmId: string): Promise<string> {
  const { rows } = await store.queryAudit({ connection, crmId, limit: 50 });
  const lines = rows
    .reverse()
    .map(
      (r) =>
        `  ${r.at.toISOString().slice(11, 23)} ${r.runId} ${r.jobId} #${r.attempt} ${r.action} ${r.sahutId ?? ''} ${JSON.stringify(r.diff)} ${r.error ?? ''}`,
    );
  return `history of crm ${crmId}:\n${lines.join('\n')}`;
}

export function describeRuns(runs: readonly Run[]): string {
  return runs
    .map(
      (r) =>
        `${r.id} ${r.status} total ${r.total} ${JSON.stringify(r.counts)}${r.note ? ` note: ${r.note}` : ''}`,
    )
    .join('\n');
}
