import type { StoredContact } from '../../../src/sandbox/index.ts';
import { OUTCOME_ACTIONS, type Run, type Store } from '../../../src/store/types.ts';
import { prepareRecord } from '../../../src/sync/apply/prepare.ts';
import { sameTags, sameValue } from '../../../src/sync/compare.ts';
import { projectSahut } from '../../../src/sync/project.ts';
import type { ChaosDeployment } from './deployment.ts';

export interface Verdict {
  /** Valid CRM rows with no contact holding their phone or email. */
  missing: number;
  /** Contacts beyond one per valid CRM row: a row matching several, or a contact matching none. */
  duplicate: number;
  /** Contacts whose mapped fields differ from their CRM row (as the mapping normalises it). */
  wrong: number;
  /** Records a run read that got no outcome in it nor in any later run, and every record of a run still running. */
  unaccounted: number;
  /** Up to a few examples of each problem, for the log. */
  examples: string[];
  valid: number;
}

const ATTENTION = 12;

/** Compares Sahut (the sandbox) with the CRM table, and the books of every run in the store. */
export async function judge(d: ChaosDeployment): Promise<Verdict> {
  const examples: string[] = [];
  const note = (line: string) => examples.length < ATTENTION && examples.push(line);
  const { rows } = await d.crm.query(`select * from ${d.crmTable} order by id`);
  const contacts = d.sandbox.contacts();
  const byKey = indexContacts(contacts);
  const matched = new Set<string>();
  let [missing, duplicate, wrong, valid] = [0, 0, 0, 0];
  const troubled: string[] = [];
  for (const row of rows as Record<string, unknown>[]) {
    const prepared = prepareRecord({ id: String(row.id), data: row }, d.connection, 'ID');
    if (prepared.kind === 'rejected') continue;
    valid++;
    const { phone, email } = prepared.contact;
    const found = [
      ...new Set([...(byKey.get(`p:${phone}`) ?? []), ...(byKey.get(`e:${email}`) ?? [])]),
    ] as StoredContact[];
    for (const c of found) matched.add(c.id);
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
      note(
        `wrong: crm ${row.id} (updated_at ${(row.updated_at as Date).toISOString()}) ${differs.join('; ')}`,
      );
    }
  }
  for (const c of contacts.filter((c) => !matched.has(c.id))) {
    duplicate++;
    note(`stray contact ${c.id} (${c.phone}, ${c.email}) matches no CRM row`);
  }
  const unaccounted = await unaccountedRecords(d.store, d.connection.name, note);
  for (const crmId of troubled.slice(0, 4)) examples.push(await history(d.store, d.connection.name, crmId));
  return { missing, duplicate, wrong, unaccounted, examples, valid };
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
  for (const f of ['name', 'phone', 'email', 'company'] as const)
    if (!sameValue(crm[f], seen[f]))
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

async function settledLater(store: Store, connection: string, crmId: string, later: Set<string>) {
  const { rows } = await store.queryAudit({ connection, crmId, limit: 200 });
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
