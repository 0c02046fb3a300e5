import type { SeedInput } from '../../../src/hubspot-sandbox/index.ts';
import { buildHubspotSandbox, CONTACTS, type HubspotSandbox } from '../../../src/hubspot-sandbox/index.ts';
import { seeded } from '../../../src/sandbox/index.ts';
import { HUBSPOT_TOKEN } from '../hubspot.ts';
import type { ChaosCrm, CrmEditValues } from './crm.ts';
import type { Random } from './schedule.ts';

/** The compose seed's columns (what the chaos helpers and the verdict name) → HubSpot's properties. */
export const HUBSPOT_PROPERTY = {
  first_name: 'firstname',
  last_name: 'lastname',
  mobile: 'mobilephone',
  email: 'email',
  company_name: 'company',
  segments: 'segments',
  tier: 'customer_tier',
} as const;
type Column = keyof typeof HUBSPOT_PROPERTY;
const EDITED = ['company_name', 'segments', 'last_name'] as const satisfies readonly Column[];

const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Rina', 'Andi', 'Putri', 'Joko', 'Ayu', 'Hendra'];
const LAST = ['Santoso', 'Rahma', 'Wijaya', 'Lestari', 'Saputra', 'Pratama', 'Kusuma'];
const COMPANY = ['PT Contoh Indonesia', 'CV Maju Jaya', 'PT Sinar Terang', ''];
const SEGMENTS = ['vip;reseller', 'prospect', 'jakarta;wholesale', ''];
const TIER = ['gold', 'silver', 'bronze'];

/** Contact `n` of the compose seed (config/compose/initdb/01-demo-crm.sql) in HubSpot's properties, id `n`. */
function seedContact(n: number, now: number): SeedInput {
  const a = String((n * 7919) % 10000).padStart(4, '0');
  const b = String(n).padStart(4, '0');
  const mobile =
    n % 50 === 0
      ? '12345'
      : ([`0812-${a}-${b}`, `62813${a}${b}`, `+62 821 ${a} ${b}`, `+62852${a}${b}`][n % 4] as string);
  const email = `customer${n}@example.co.id`;
  const values: Record<Column, string> = {
    first_name: FIRST[n % 10] as string,
    last_name: LAST[n % 7] as string,
    mobile,
    email: n % 3 === 0 ? email.toUpperCase() : email,
    company_name: COMPANY[n % 4] as string,
    segments: SEGMENTS[n % 4] as string,
    tier: TIER[n % 3] as string,
  };
  // An empty value is no value in HubSpot: the property is left out.
  const properties = Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => v !== '')
      .map(([c, v]) => [HUBSPOT_PROPERTY[c as Column], v]),
  );
  return { id: String(n), properties, updatedAt: now - n * 60_000 };
}

/**
 * The seeded sandbox's faults: a share of requests answered 5xx before they are handled, and a
 * share followed by one 429 (`TEN_SECONDLY_ROLLING`, or `SECONDLY` for a search) for the next
 * request, beyond what the app's limits give on their own (a Redis wipe makes the workers forget
 * what they spent).
 */
const ERROR_SHARE = 0.03;
const STORM_SHARE = 0.02;

/**
 * The chaos suite's CRM on HubSpot: a HubSpot sandbox in the test process, over real HTTP,
 * holding the compose seed's people (same ids, phone formats, invalid phones, upper-case emails)
 * under HubSpot's property names, read with config/mapping.hubspot.example.yaml.
 *
 * HubSpot has no transactions. A CRM edit is a batch update through the API, written at once
 * (read and list see it); a late one is written while the search index lags `lateLagMs` instead of
 * the usual `indexLagMs`, so search (the incremental read) sees it, stamped then, only later, as
 * a late commit's rows appear behind a database cursor. Its `commit()` resolves once search sees
 * it. Rows carry HubSpot's properties plus the compose column names the chaos helpers read.
 */
export async function hubspotChaosCrm(records: number, random: Random): Promise<ChaosCrm> {
  const seed = () => Math.floor(random() * 2 ** 31);
  const indexLagMs = 200 + Math.floor(random() * 1800);
  const lateLagMs = 3000 + Math.floor(random() * 5000);
  const sandbox = await buildHubspotSandbox({
    token: HUBSPOT_TOKEN,
    customProperties: [HUBSPOT_PROPERTY.segments, HUBSPOT_PROPERTY.tier],
    indexLagMs,
    faults: { errorShare: ERROR_SHARE, errorStatus: random() < 0.5 ? 502 : 503, seed: seed() },
  });
  const storms = seeded(seed());
  sandbox.app.addHook('onRequest', async () => {
    if (storms() < STORM_SHARE) sandbox.storm(1);
  });
  // When the app's own limits answered 429 (injected ones aside), to set beside the chaos's events.
  const limited: string[] = [];
  let rejected = 0;
  sandbox.app.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode !== 429) return;
    const now = Object.values(sandbox.limitCounters().rejected).reduce((a, b) => a + b, 0);
    if (now > rejected) limited.push(new Date().toISOString().slice(11, 23));
    rejected = now;
  });
  const now = Date.now();
  sandbox.seed(Array.from({ length: records }, (_, i) => seedContact(i + 1, now)));
  const baseUrl = await sandbox.listen();
  return {
    kind: 'hubspot',
    sourceYaml: `{ type: hubspot, token: "${HUBSPOT_TOKEN}", baseUrl: "${baseUrl}" }`,
    mapping: new URL('../../../config/mapping.hubspot.example.yaml', import.meta.url).pathname,
    // A first sync makes only 3 list calls of 100: pages of 20 give the faults, the kills and the
    // durable cursor more calls to land on.
    pageSize: 20,
    // HubSpot needs no first name: a walk-in's new contact gets none.
    createInCrm: '{ tags: [lead] }',
    describe: `HubSpot sandbox: search index lag ${indexLagMs} ms (${lateLagMs} ms for late edits), ${ERROR_SHARE * 100} % of requests answered 5xx, ${STORM_SHARE * 100} % followed by a 429`,
    report() {
      const statuses: Record<string, number> = {};
      for (const byStatus of Object.values(sandbox.statusCounts()))
        for (const [status, n] of Object.entries(byStatus)) statuses[status] = (statuses[status] ?? 0) + n;
      const { rejected, peakTenSecondly, peakSearchSecondly } = sandbox.limitCounters();
      return `HubSpot answered ${JSON.stringify(statuses)}; 429s from its limits ${JSON.stringify(rejected)}; peak ${peakTenSecondly} requests in 10 s, ${peakSearchSecondly} searches in 1 s${
        limited.length > 0 ? `; limit 429s at ${limited.join(', ')}` : ''
      }`;
    },
    async rows() {
      return sandbox.store.list(false).map(toRow);
    },
    // HubSpot deletes one way, by archiving (its removals list reports it): soft and hard alike.
    async remove(id) {
      const found = sandbox.store.get(id);
      if (!found) return null;
      await api(baseUrl, 'DELETE', `${CONTACTS}/${id}`);
      return toRow(found);
    },
    async reenter(row) {
      const properties = Object.fromEntries(
        Object.values(HUBSPOT_PROPERTY).flatMap((p) => (row[p] ? [[p, String(row[p])]] : [])),
      );
      const { body } = await api(baseUrl, 'POST', CONTACTS, { properties });
      return (body as { id: string }).id;
    },
    async edit(ids, v, late = false) {
      if (late) sandbox.setIndexLag(lateLagMs);
      let written: Map<string, number>;
      try {
        written = await batchUpdate(baseUrl, ids, v);
      } finally {
        if (late) sandbox.setIndexLag(indexLagMs);
      }
      const visibleAt = Date.now() + (late ? lateLagMs : 0);
      return {
        before: before(sandbox, written, v),
        values: v,
        // The sandbox's index shows a version at a known moment: committed is searchable.
        async commit() {
          const wait = visibleAt - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait + 1));
        },
      };
    },
    async drop() {
      await sandbox.close();
    },
  };
}

/** A contact as the verdict reads it: its mapped properties (null when empty) and the compose names. */
function toRow(c: { id: string; properties: Record<string, string>; updatedAt: number }) {
  const row: Record<string, unknown> = { id: c.id, updated_at: new Date(c.updatedAt).toISOString() };
  for (const [column, property] of Object.entries(HUBSPOT_PROPERTY)) {
    row[property] = c.properties[property] ?? null;
    row[column] = c.properties[property] ?? null;
  }
  return row;
}

/**
 * What each edited property held just before this edit wrote it: the property history's entry
 * after the one this edit made (found by its stamp), so a write-back landing between a read and
 * this write cannot be missed, as a database's row lock would not miss it.
 */
function before(sandbox: HubspotSandbox, written: Map<string, number>, v: CrmEditValues) {
  const out = new Map<string, CrmEditValues>();
  for (const [id, at] of written) {
    const history = sandbox.store.get(id)?.history ?? {};
    const held = (column: (typeof EDITED)[number]) => {
      const entries = history[HUBSPOT_PROPERTY[column]] ?? [];
      const mine = entries.findIndex((h) => h.timestamp === at && h.value === v[column]);
      return mine < 0 ? '' : (entries[mine + 1]?.value ?? '');
    };
    out.set(id, {
      company_name: held('company_name'),
      segments: held('segments'),
      last_name: held('last_name'),
    });
  }
  return out;
}

/** A person's edit through HubSpot's API: one batch update; returns each record's new stamp. */
async function batchUpdate(baseUrl: string, ids: readonly string[], v: CrmEditValues) {
  const properties = Object.fromEntries(EDITED.map((c) => [HUBSPOT_PROPERTY[c], v[c]]));
  const { body } = await api(baseUrl, 'POST', `${CONTACTS}/batch/update`, {
    inputs: ids.map((id) => ({ id, properties })),
  });
  const results = (body as { results?: { id: string; updatedAt: string }[] }).results ?? [];
  return new Map(results.map((r) => [r.id, Date.parse(r.updatedAt)]));
}

/** One call to HubSpot's API as a person's client makes it: a 5xx or 429 is tried again. */
async function api(baseUrl: string, method: string, path: string, payload?: unknown) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${HUBSPOT_TOKEN}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const text = await res.text();
    if (res.status < 300) return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    if ((res.status !== 429 && res.status < 500) || attempt >= 20)
      throw new Error(`a person's HubSpot call ${method} ${path} answered ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, res.status === 429 ? 1000 : 100));
  }
}
