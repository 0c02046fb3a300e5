import type { AuditAction, AuditRow, Link } from '../../../src/store/types.ts';
import { prepareRecord } from '../../../src/sync/index.ts';
import type { Arrival, Holder } from './checks.ts';
import type { SoakDeployment } from './deployment.ts';
import { sahutValues, toValues } from './editor.ts';
import type { ConflictRow, Values } from './edits.ts';

/** Both sides of every record now, by `<connection>:<CRM id>`, and who holds which identity. */
export interface Sides {
  final: Map<string, { crm: Values | null; sahut: Values | null }>;
  rows: Holder[];
  contacts: Holder[];
  /** Record → contact id. */
  links: Map<string, string>;
}

export async function readSides(d: SoakDeployment): Promise<Sides> {
  const final = new Map<string, { crm: Values | null; sahut: Values | null }>();
  const rows: Holder[] = [];
  const links = new Map<string, string>();
  const contacts = new Map(d.sandbox.contacts().map((c) => [c.id, c]));
  for (const crm of d.crms) {
    const name = crm.connection.name;
    const byCrmId = new Map((await allLinks(d, name)).map((l) => [l.crmId, l.sahutId]));
    for (const row of await crm.table.rows()) {
      const record = `${name}:${row.id}`;
      const p = prepareRecord({ id: row.id, data: crm.table.data(row) }, crm.connection, 'ID');
      if (p.kind === 'rejected') throw new Error(`${record} reads as invalid: ${p.reason}`);
      const contactId = byCrmId.get(row.id);
      const contact = contactId ? contacts.get(contactId) : undefined;
      if (contactId) links.set(record, contactId);
      final.set(record, {
        crm: toValues(p.contact),
        sahut: contact ? sahutValues(contact, p.contact) : null,
      });
      rows.push({ id: record, phone: p.contact.phone ?? null, email: p.contact.email ?? null });
    }
  }
  return {
    final,
    rows,
    contacts: [...contacts.values()].map((c) => ({ id: c.id, phone: c.phone, email: c.email })),
    links,
  };
}

/** Every open link of the deployment, record → contact id, the deleted rows' included. */
export async function openLinks(d: SoakDeployment): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const crm of d.crms)
    for (const l of await allLinks(d, crm.connection.name))
      out.set(`${crm.connection.name}:${l.crmId}`, l.sahutId);
  return out;
}

async function allLinks(d: SoakDeployment, connection: string) {
  const out: Link[] = [];
  for (let page = await d.store.listLinks(connection, null, 1000); page.length > 0; ) {
    out.push(...page);
    page = await d.store.listLinks(connection, page.at(-1)?.crmId ?? null, 1000);
  }
  return out;
}

/** Every audit row of a connection of the deployment since `since`, of one action or all. */
export async function auditRows(d: SoakDeployment, since: Date, action?: AuditAction): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  for (const crm of d.crms) {
    let cursor: string | null = null;
    do {
      const page = await d.store.queryAudit({
        connection: crm.connection.name,
        since,
        limit: 1000,
        ...(action ? { action } : {}),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.rows);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return out;
}

/** The conflicts the audit wrote down, one per field of each `conflict` row. */
export function conflictsOf(rows: readonly AuditRow[]): ConflictRow[] {
  return rows.flatMap((r) => {
    const detail = r.detail as {
      conflicts?: { field: string; crm: unknown; sahut: unknown; resolution: string }[];
    };
    return (detail?.conflicts ?? []).map((c) => ({
      record: `${r.connection}:${r.crmId}`,
      field: c.field,
      at: r.at.getTime(),
      crm: c.crm,
      sahut: c.sahut,
      resolution: c.resolution as ConflictRow['resolution'],
    }));
  });
}

/** Values the sync wrote to the CRM, from the audit's diffs (`phone` of a sahut-to-crm row, `crm:phone` otherwise). */
export function crmArrivals(rows: readonly AuditRow[]): Arrival[] {
  return rows.flatMap((r) =>
    Object.entries(r.diff ?? {}).flatMap(([key, change]) => {
      const toCrm = r.direction === 'sahut-to-crm' ? !key.includes(':') : key.startsWith('crm:');
      if (!toCrm) return [];
      const field = key.replace(/^crm:/, '');
      return [{ record: `${r.connection}:${r.crmId}`, field, at: r.at.getTime(), value: change.after }];
    }),
  );
}

/** Values the sync's PUTs carried to Sahut, from the sandbox's journal. */
export function sahutArrivals(d: SoakDeployment, links: ReadonlyMap<string, string>): Arrival[] {
  const recordOf = new Map([...links].map(([record, contact]) => [contact, record]));
  return d.journal.writes.flatMap((w) => {
    const record = w.contactId ? recordOf.get(w.contactId) : undefined;
    if (!record) return [];
    return Object.entries(w.body).map(([field, value]) => ({ record, field, at: w.at, value }));
  });
}
