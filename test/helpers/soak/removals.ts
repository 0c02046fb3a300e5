import { setTimeout as sleep } from 'node:timers/promises';
import { prepareRecord } from '../../../src/sync/index.ts';
import type { Random } from '../chaos/schedule.ts';
import type { CrmRow } from '../crm-tables.ts';
import type { Deletion } from './deletions.ts';
import { type SoakCrm, toValues } from './editor.ts';
import type { Values } from './edits.ts';
import type { Journal } from './journal.ts';

/**
 * An agent's request through the sandbox, its 5xx retried; `null` for a 404 that is no surprise
 * (the contact of a removed `record`, an admin route's retry whose first try went through).
 */
export type AgentCall = (
  method: 'GET' | 'PUT' | 'DELETE' | 'POST',
  path: string,
  seq: number,
  body?: unknown,
  record?: string,
) => Promise<Record<string, unknown> | null>;

/** The soak's people removing people, on either side; each removal is logged in `deletions` once visible. */
export function removers(journal: Journal, call: AgentCall, nextSeq: () => number) {
  const deletions: Deletion[] = [];

  /** A CRM user's deletion of row `id`; `recreate`: then, up to 3 s later, the person entered again. */
  async function crmDelete(
    crm: SoakCrm,
    id: string,
    contactId: string,
    kind: Deletion['kind'],
    dice: Random,
  ) {
    const k = nextSeq();
    const how = kind === 'delete-soft' || (kind === 'recreate' && dice() < 0.5) ? 'soft' : 'hard';
    const row = await crm.table.remove(id, how);
    if (!row) throw new Error(`row ${id} was not there to delete`);
    const at = Date.now();
    const values = valuesOfRow(crm, row);
    const d: Deletion = { kind, at, record: `${crm.connection.name}:${id}`, contactId, ...identity(values) };
    if (kind === 'recreate') {
      await sleep(Math.floor(dice() * 3000));
      const again = { name: `Again ${k}`, phone: row.phone, email: row.email, company: `Again Co ${k}` };
      const [newId] = await crm.table.insert([{ ...again, tags: 'lead', tier: 'bronze' }]);
      d.recreatedAs = `${crm.connection.name}:${newId}`;
    }
    deletions.push(d);
  }

  /** An agent's deletion of the contact in Sahut's inbox, or its merge into `survivor`'s contact. */
  async function sahutDelete(
    crm: SoakCrm,
    id: string,
    contactId: string,
    survivor?: { id: string; contactId: string },
  ) {
    const seq = nextSeq();
    const record = `${crm.connection.name}:${id}`;
    const into = survivor?.contactId;
    const act = async () => {
      const contact = await call('GET', `/contacts/${contactId}`, seq);
      if (into) await call('POST', '/_admin/merges', seq, { survivor: into, absorbed: contactId });
      else await call('DELETE', `/_admin/contacts/${contactId}`, seq);
      const at = Date.now();
      const values = { phone: contact?.phone as string | null, email: contact?.email as string | null };
      const merged = survivor
        ? { survivor: { record: `${crm.connection.name}:${survivor.id}`, contactId: survivor.contactId } }
        : {};
      deletions.push({
        kind: into ? 'sahut-merge' : 'sahut-delete',
        at,
        record,
        contactId,
        ...identity(values),
        ...merged,
      });
    };
    await journal.asAgent(contactId, () => (into ? journal.asAgent(into, act) : act()));
  }

  /**
   * A HubSpot user's merge of row `other` into row `id`: HubSpot makes a new record holding `id`'s
   * properties over `other`'s, which is the person of `id` entered again (`recreatedAs`), while
   * `other`'s person is gone.
   */
  async function crmMerge(
    crm: SoakCrm,
    id: string,
    contactId: string,
    other: { id: string; contactId: string },
  ) {
    const { merge } = crm.table;
    if (!merge) throw new Error(`a ${crm.table.kind} CRM cannot merge records`);
    const rows = new Map((await crm.table.rows()).map((r) => [r.id, r]));
    const [primary, absorbed] = [rows.get(id), rows.get(other.id)];
    if (!primary || !absorbed) throw new Error(`rows ${id} and ${other.id} were not there to merge`);
    const merged = await merge(id, other.id);
    const at = Date.now();
    const record = (crmId: string) => `${crm.connection.name}:${crmId}`;
    deletions.push(
      {
        kind: 'crm-merge',
        at,
        record: record(id),
        contactId,
        ...identity(valuesOfRow(crm, primary)),
        recreatedAs: record(merged),
      },
      {
        kind: 'crm-merge',
        at,
        record: record(other.id),
        contactId: other.contactId,
        ...identity(valuesOfRow(crm, absorbed)),
      },
    );
  }

  return { deletions, crmDelete, crmMerge, sahutDelete };
}

/** A CRM row's values as the sync compares them (empty for a row it would reject). */
function valuesOfRow(crm: SoakCrm, row: CrmRow): Values {
  const p = prepareRecord({ id: row.id, data: crm.table.data(row) }, crm.connection, 'ID');
  return p.kind === 'ready' ? toValues(p.contact) : {};
}

const identity = (v: { phone?: string | null | undefined; email?: string | null | undefined }) => ({
  phone: v.phone ?? null,
  email: v.email ?? null,
});
