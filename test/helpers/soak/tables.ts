import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceInput } from '../../../src/crm/index.ts';
import { buildHubspotSandbox, type HubspotSandbox } from '../../../src/hubspot-sandbox/index.ts';
import type { Random } from '../chaos/schedule.ts';
import { type CrmKind, type CrmRow, type CrmTable, crmTable } from '../crm-tables.ts';
import { HUBSPOT_TOKEN } from '../hubspot.ts';
import type { WindowOverwrite } from './edits.ts';

export type SoakKind = CrmKind | 'hubspot';
type Fields = Partial<Omit<CrmRow, 'id'>>;

/**
 * A CRM of the soak as its people and its verdict use it: a database table (`CrmTable`), or a
 * HubSpot account played by the HubSpot sandbox.
 */
export interface SoakTable extends Pick<CrmTable, 'insert' | 'rows' | 'drop'> {
  kind: SoakKind;
  /** `CrmTable.change`; `editSeq` names the edit, for the journal of HubSpot's window. */
  change(
    id: string,
    change: (row: CrmRow) => Fields | null,
    thinkMs?: number,
    editSeq?: number,
  ): Promise<Fields | null>;
  source: SourceInput;
  /** The soak's mapping, in this CRM's column or property names. */
  mapping: string;
  /** A row as the connector hands it to the sync (`data`), for `prepareRecord`. */
  data(row: CrmRow): Record<string, unknown>;
  /**
   * A person's deletion of row `id`. A database: `soft` sets `deleted_at`, `hard` deletes the row.
   * HubSpot has one deletion, the archive, whatever `how` says. Resolves with the row as it was.
   */
  remove(id: string, how: 'soft' | 'hard'): Promise<CrmRow | null>;
  /**
   * HubSpot only: a person merges contact `otherId` into `primaryId`; HubSpot makes a new record
   * (a new id) holding the primary's properties over the other's. Resolves with the new id.
   */
  merge?(primaryId: string, otherId: string): Promise<string>;
  /** HubSpot only: the sandbox, for its counters. */
  hubspot?: HubspotSandbox;
  /**
   * HubSpot only: the sync's batch updates that followed a person's edit of the same contact made
   * after the sync's batch read of it (HubSpot has no conditional write: the compare-and-set's
   * remaining window), with the fields the update sent, named as the edits name them.
   */
  overwrites?: WindowOverwrite[];
}

/** Issue 20's mapping: the name is the CRM's, the tier Sahut's, the rest both sides'. */
const TABLE_MAPPING = `fields:
  name:    { from: name, owner: crm }
  phone:   { from: phone, owner: both }
  email:   { from: email, owner: both }
  company: { from: company, owner: both }
  tags:    { from: tags, transform: split, separator: ";", owner: both }
  custom_attributes.customer_tier: { from: tier, owner: sahut }
`;

/** The same mapping in HubSpot's property names: built-in ones, and two custom properties. */
const HUBSPOT_MAPPING = `fields:
  name:    { from: firstname, owner: crm }
  phone:   { from: phone, owner: both }
  email:   { from: email, owner: both }
  company: { from: company, owner: both }
  tags:    { from: interests, transform: split, separator: ";", owner: both }
  custom_attributes.customer_tier: { from: customer_tier, owner: sahut }
`;

/** A CRM of `kind`; `random` seeds what HubSpot's sandbox does wrong (5xx answers). */
export async function soakTable(kind: SoakKind, random: Random): Promise<SoakTable> {
  if (kind === 'hubspot') return hubspotTable(random);
  const table = await crmTable(kind);
  return {
    ...table,
    kind,
    // Database sources watch their table with a trigger and soft-delete in `deleted_at`.
    source: { ...table.source, notify: true, deletedColumn: 'deleted_at' } as SourceInput,
    mapping: TABLE_MAPPING,
    data: (row) => ({ ...row }),
  };
}

/** The private app's client secret, the key of its webhooks' signatures. */
export const WEBHOOK_SECRET = 'soak-client-secret';

/** The CrmRow column of each mapped HubSpot property. */
const PROPERTIES = {
  firstname: 'name',
  phone: 'phone',
  email: 'email',
  company: 'company',
  interests: 'tags',
  customer_tier: 'tier',
} as const satisfies Record<string, keyof CrmRow>;

/**
 * HubSpot as its people use it: in HubSpot's UI, which is the sandbox's store (a person's edits
 * never spend the private app's API limits, so the sandbox's counters are the sync's alone).
 * HubSpot has no row lock to hold while a person thinks: the thinking comes first, then the
 * read and the write happen at once. Search sees a write 1 s later; 2 % of the app's requests
 * are answered 502.
 */
async function hubspotTable(random: Random): Promise<SoakTable> {
  const sandbox = await buildHubspotSandbox({
    token: HUBSPOT_TOKEN,
    customProperties: ['interests', 'customer_tier'],
    indexLagMs: 1000,
    faults: { errorShare: 0.02, seed: Math.floor(random() * 2 ** 31) },
  });
  const window = hubspotWindow(sandbox);
  const baseUrl = await sandbox.listen();
  const { store } = sandbox;
  const toRow = (id: string, p: Record<string, string>): CrmRow => ({
    id,
    name: p.firstname ?? null,
    phone: p.phone ?? null,
    email: p.email ?? null,
    company: p.company ?? null,
    tags: p.interests ?? null,
    tier: p.customer_tier ?? null,
    status: 'open',
  });
  const toProperties = (fields: Fields): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [property, column] of Object.entries(PROPERTIES))
      if (column in fields) out[property] = (fields[column as keyof Fields] as string | null) ?? '';
    return out;
  };
  const live = (id: string) => {
    const c = store.get(id);
    // A merged-away id reads as the record it was merged into: that is another person's row.
    return c && c.id === id ? c : undefined;
  };
  return {
    kind: 'hubspot',
    source: { type: 'hubspot', token: HUBSPOT_TOKEN, baseUrl, webhook: { clientSecret: WEBHOOK_SECRET } },
    mapping: HUBSPOT_MAPPING,
    hubspot: sandbox,
    overwrites: window.overwrites,
    data: (row) =>
      Object.fromEntries(Object.entries(PROPERTIES).map(([property, column]) => [property, row[column]])),
    async insert(rows) {
      return rows.map((row) => store.create(toProperties(row)).id);
    },
    async rows() {
      return store.list(false).map((c) => toRow(c.id, c.properties));
    },
    async change(id, change, thinkMs = 0, editSeq = 0) {
      if (thinkMs > 0) await sleep(thinkMs);
      const found = live(id);
      const fields = found ? change(toRow(id, found.properties)) : null;
      if (fields) {
        store.update(id, toProperties(fields));
        window.edited(id, editSeq);
      }
      return fields;
    },
    async remove(id) {
      const found = live(id);
      if (!found) return null;
      const row = toRow(id, found.properties);
      store.archive(id);
      return row;
    },
    async merge(primaryId, otherId) {
      return store.merge(primaryId, otherId).id;
    },
    async drop() {
      await sandbox.close();
    },
  };
}

/** The soak field each mapped HubSpot property is, as the edit log names it. */
const FIELDS: Record<string, string> = {
  firstname: 'name',
  phone: 'phone',
  email: 'email',
  company: 'company',
  interests: 'tags',
  customer_tier: 'custom_attributes.customer_tier',
};

/**
 * Hooks on the HubSpot sandbox (before it listens, after its fault hook, so a request they see is
 * one the handler serves next): a sequence number tells, per contact, whether a person's edit
 * landed between the sync's last batch read of it and the sync's batch update of it.
 */
function hubspotWindow(sandbox: HubspotSandbox) {
  let seq = 0;
  const lastRead = new Map<string, number>();
  const edits = new Map<string, { seq: number; editSeq: number }[]>();
  const overwrites: WindowOverwrite[] = [];
  const inputs = (body: unknown) =>
    (body as { inputs?: { id: string; properties?: Record<string, string> }[] }).inputs ?? [];
  sandbox.app.addHook('preHandler', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (request.method !== 'POST') return;
    if (path.endsWith('/batch/read')) for (const { id } of inputs(request.body)) lastRead.set(id, ++seq);
    if (!path.endsWith('/batch/update')) return;
    for (const { id, properties = {} } of inputs(request.body)) {
      const body = Object.fromEntries(
        Object.entries(properties).map(([name, value]) =>
          FIELDS[name] === 'tags'
            ? ['tags', value.split(';').filter(Boolean)]
            : [FIELDS[name] ?? name, value],
        ),
      );
      for (const edit of edits.get(id) ?? [])
        if (edit.seq > (lastRead.get(id) ?? 0)) overwrites.push({ editSeq: edit.editSeq, body });
    }
    seq++;
  });
  return {
    overwrites,
    edited(id: string, editSeq: number) {
      edits.set(id, [...(edits.get(id) ?? []), { seq: ++seq, editSeq }]);
    },
  };
}
