import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import {
  type CrmConnector,
  type CrmRecord,
  createMemoryConnector,
  type MemoryConnector,
} from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import type { ContactPatch } from '../src/sahut/types.ts';
import type { Sandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type EngineDeployment, engineDeployment, MAPPING_YAML, runOnce } from './helpers/engine.ts';
import type { StoreKind } from './helpers/env.ts';

const phone = (i: number) => `+62 81${String(10_000_000 + i).padStart(8, '0')}`;

function crmRecord(i: number): CrmRecord {
  return {
    id: `crm-${i}`,
    data: {
      name: `Customer ${i}`,
      phone: phone(i),
      email: `customer${i}@example.com`,
      company: `Company ${i}`,
      tags: 'crm;customer',
      tier: 'silver',
    },
  };
}

function connection(opts: { mapping?: string; options?: Record<string, unknown> } = {}): Connection {
  return {
    name: 'crm',
    source: { type: 'file', path: '/dev/null', format: 'csv', idField: 'id' } as Connection['source'],
    mapping: parseMapping(opts.mapping ?? MAPPING_YAML, 'yaml'),
    directions: ['crm-to-sahut', 'sahut-to-crm'],
    schedule: undefined,
    options: syncOptionsSchema.parse(opts.options ?? {}),
  };
}

/** The memory connector, with every write-back recorded and records that can be made to vanish. */
function observed(connector: MemoryConnector) {
  const writes: { id: string; fields: Record<string, unknown> }[] = [];
  const gone = new Set<string>();
  const crm: CrmConnector = {
    ...connector,
    get: async (id) => (gone.has(id) ? null : connector.get(id)),
    async update(id, fields, expected) {
      writes.push({ id, fields });
      return connector.update(id, fields, expected);
    },
  };
  return { crm, writes, gone };
}

const crmData = (connector: MemoryConnector, id: string) =>
  connector.records().find((r) => r.id === id)?.data;

describe.each<StoreKind>(['sqlite', 'postgres'])('Sahut → CRM sync (%s store)', (kind) => {
  let sandbox: Sandbox;
  let store: Store;
  let deployment: EngineDeployment;

  beforeEach(async () => {
    deployment = await engineDeployment(kind);
    ({ sandbox, store } = deployment);
  });

  afterEach(() => deployment.dispose());

  /** A node with `count` CRM records already synced to Sahut. */
  async function synced(count: number, conn: Connection = connection()) {
    const connector = createMemoryConnector(Array.from({ length: count }, (_, i) => crmRecord(i)));
    const { crm, writes, gone } = observed(connector);
    const node = deployment.node([conn], () => crm);
    const first = await runOnce(node);
    expect(first.counts).toEqual({ created: count });
    const links = await store.getLinks(
      'crm',
      Array.from({ length: count }, (_, i) => `crm-${i}`),
    );
    const sahutId = (i: number) => links.get(`crm-${i}`)?.sahutId as string;
    /** An agent's edit in Sahut. */
    const agent = (i: number, patch: ContactPatch) => node.rt.sahut.update(sahutId(i), patch);
    const contact = (i: number) => sandbox.contacts().find((c) => c.id === sahutId(i));
    return { node, connector, writes, gone, agent, contact };
  }

  it('writes agent edits back to the CRM once, with no echo and no loop', async () => {
    const { node, connector, writes, agent } = await synced(10);
    for (const i of [2, 5, 7]) await agent(i, { company: `Agent Co ${i}` });
    sandbox.resetCounts();

    const back = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(back.status).toBe('succeeded');
    expect(back.counts).toEqual({ updated: 3, unchanged: 7 });
    expect(writes.map((w) => w.id).sort()).toEqual(['crm-2', 'crm-5', 'crm-7']);
    expect(writes[0]?.fields).toEqual({ company: expect.stringMatching(/^Agent Co \d$/) });
    for (const i of [2, 5, 7]) expect(crmData(connector, `crm-${i}`)?.company).toBe(`Agent Co ${i}`);
    expect(crmData(connector, 'crm-3')?.company).toBe('Company 3');
    // One list page and one GET per changed contact; nothing written to Sahut.
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1, 'GET /contacts/:id': 3 });
    const updated = await store.queryAudit({ runId: back.id, action: 'updated', limit: 10 });
    expect(updated.rows.map((r) => [r.direction, r.crmId, r.diff, r.error]).sort()).toEqual(
      [2, 5, 7].map((i) => [
        'sahut-to-crm',
        `crm-${i}`,
        { company: { before: `Company ${i}`, after: `Agent Co ${i}` } },
        null,
      ]),
    );

    // The CRM reports our three writes as changes: recognised as our own echo, no Sahut call.
    sandbox.resetCounts();
    const echo = await runOnce(node);
    expect(echo.counts).toEqual({ unchanged: 3 });
    expect(sandbox.counts()).toEqual({});
    // Settled by the hash in the run itself, without a record job.
    const echoRows = (await store.queryAudit({ runId: echo.id, limit: 10 })).rows;
    expect(echoRows.map((r) => r.jobId?.startsWith('rec-'))).toEqual([false, false, false]);

    // …and the next scan finds nothing to write back.
    sandbox.resetCounts();
    const again = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(again.counts).toEqual({ unchanged: 10 });
    expect(writes).toHaveLength(3);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
  });

  it('scans every page, ignores unlinked contacts and writes nothing when nothing changed', async () => {
    const { node, writes } = await synced(150);
    sandbox.seed(
      Array.from({ length: 40 }, (_, i) => ({ name: `Walk-in ${i}`, phone: `+6285${20_000_000 + i}` })),
    );
    sandbox.resetCounts();

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(run).toMatchObject({ status: 'succeeded', total: 150, counts: { unchanged: 150 } });
    expect(writes).toEqual([]);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 2 });
    const rows = (await store.queryAudit({ runId: run.id, limit: 1000 })).rows;
    expect(rows).toHaveLength(150);
    expect(new Set(rows.map((r) => `${r.direction} ${r.action}`))).toEqual(
      new Set(['sahut-to-crm unchanged']),
    );
    expect(sandbox.contacts()).toHaveLength(190);
  });

  it('records a conflict on a field both sides changed and keeps the CRM value by default', async () => {
    const { node, connector, agent, contact } = await synced(3);
    await connector.edit('crm-0', { company: 'CRM Co' });
    await agent(0, { company: 'Sahut Co' });
    // Different fields on each side: both changes survive.
    await connector.edit('crm-1', { company: 'Moved Inc' });
    await agent(1, { name: 'Budi Santoso' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(run.counts).toEqual({ conflict: 1, updated: 1, unchanged: 1 });
    const rows = (await store.queryAudit({ runId: run.id, limit: 10 })).rows;
    const row = (crmId: string) => rows.find((r) => r.crmId === crmId);
    expect(row('crm-0')?.action).toBe('conflict');
    expect(row('crm-0')?.error).toBe('conflict on company: CRM "CRM Co", Sahut "Sahut Co" → kept CRM');
    expect(row('crm-0')?.detail).toEqual({
      conflicts: [
        { field: 'company', base: 'Company 0', crm: 'CRM Co', sahut: 'Sahut Co', resolution: 'crm' },
      ],
      heldBack: [],
    });
    expect(row('crm-0')?.diff).toEqual({ 'sahut:company': { before: 'Sahut Co', after: 'CRM Co' } });
    expect(crmData(connector, 'crm-0')?.company).toBe('CRM Co');
    expect(contact(0)?.company).toBe('CRM Co');

    expect(row('crm-1')?.error).toBeNull();
    expect(row('crm-1')?.diff).toEqual({
      name: { before: 'Customer 1', after: 'Budi Santoso' },
      'sahut:company': { before: 'Company 1', after: 'Moved Inc' },
    });
    expect(crmData(connector, 'crm-1')).toMatchObject({ name: 'Budi Santoso', company: 'Moved Inc' });
    expect(contact(1)).toMatchObject({ name: 'Budi Santoso', company: 'Moved Inc' });

    // Both sides now agree: the CRM changes are known, so nothing goes to Sahut.
    sandbox.resetCounts();
    const echo = await runOnce(node);
    expect(echo.counts).toEqual({ unchanged: 2 });
    expect(sandbox.counts()).toEqual({});
  });

  it('lets Sahut win a conflict when onConflict is sahut', async () => {
    const { node, connector, writes, agent, contact } = await synced(
      1,
      connection({ options: { onConflict: 'sahut' } }),
    );
    await connector.edit('crm-0', { company: 'CRM Co' });
    await agent(0, { company: 'Sahut Co' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    const [row] = (await store.queryAudit({ runId: run.id, limit: 10 })).rows;
    expect(row).toMatchObject({
      action: 'conflict',
      diff: { company: { before: 'CRM Co', after: 'Sahut Co' } },
      error: 'conflict on company: CRM "CRM Co", Sahut "Sahut Co" → kept Sahut',
    });
    expect(writes).toEqual([{ id: 'crm-0', fields: { company: 'Sahut Co' } }]);
    expect(contact(0)?.company).toBe('Sahut Co');
  });

  it('set-merges tags owned by both sides', async () => {
    const { node, connector, agent, contact } = await synced(2);
    await agent(0, { tags: ['crm', 'customer', 'vip'] });
    await connector.edit('crm-0', { tags: 'crm' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(run.counts).toEqual({ updated: 1, unchanged: 1 });
    expect(crmData(connector, 'crm-0')?.tags).toBe('crm;vip');
    expect(contact(0)?.tags).toEqual(['crm', 'vip']);
    const [row] = (await store.queryAudit({ runId: run.id, action: 'updated', limit: 10 })).rows;
    expect(row?.error).toBe(
      'conflict on tags: CRM ["crm"], Sahut ["crm","customer","vip"] → merged ["crm","vip"]',
    );

    sandbox.resetCounts();
    expect((await runOnce(node)).counts).toEqual({ unchanged: 1 });
    expect(sandbox.counts()).toEqual({});
  });

  it('puts a CRM-owned field edited in Sahut back, and never writes it to the CRM', async () => {
    const mapping = MAPPING_YAML.replace(
      'company: { from: company, owner: both }',
      'company: { from: company, owner: crm }',
    );
    expect(mapping).not.toBe(MAPPING_YAML);
    const { node, connector, writes, agent, contact } = await synced(2, connection({ mapping }));
    await agent(0, { company: 'Agent Co', name: 'Siti Rahma' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(writes).toEqual([{ id: 'crm-0', fields: { name: 'Siti Rahma' } }]);
    expect(crmData(connector, 'crm-0')?.company).toBe('Company 0');
    expect(contact(0)).toMatchObject({ company: 'Company 0', name: 'Siti Rahma' });
    const [row] = (await store.queryAudit({ runId: run.id, action: 'updated', limit: 10 })).rows;
    expect(row?.diff).toEqual({
      name: { before: 'Customer 0', after: 'Siti Rahma' },
      'sahut:company': { before: 'Agent Co', after: 'Company 0' },
    });
    expect(row?.error).toBe('company is owned by the CRM: Sahut\'s "Agent Co" put back to "Company 0"');

    // Settled: the next runs, in either order, neither fetch nor write it again.
    sandbox.resetCounts();
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 2 });
    expect((await runOnce(node, 'crm', 'crm-to-sahut')).counts.updated ?? 0).toBe(0);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
    expect(writes).toHaveLength(1);
  });

  it('does not write back a contact shared by two CRM records', async () => {
    const twin = (id: string, name: string): CrmRecord => ({ id, data: { name, phone: '0812-3456-789' } });
    const { crm, writes } = observed(createMemoryConnector([twin('a', 'Budi'), twin('b', 'Budi S.')]));
    const node = deployment.node([connection()], () => crm);
    expect((await runOnce(node)).counts).toEqual({ created: 1, linked: 1 });
    const [shared] = sandbox.contacts();
    await node.rt.sahut.update(shared?.id as string, { company: 'Agent Co' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(writes).toEqual([]);
    const rows = (await store.queryAudit({ runId: run.id, limit: 10 })).rows;
    expect(rows.map((r) => [r.crmId, r.action, r.error]).sort()).toEqual(
      ['a', 'b'].map((id) => [
        id,
        'unchanged',
        `Sahut contact ${shared?.id} is shared by CRM records a, b: not written back`,
      ]),
    );
  });

  it('settles a record deleted in the CRM as deleted: its contact tagged, its link closed (onCrmDelete: tag)', async () => {
    const { node, gone, agent, contact } = await synced(2);
    await agent(0, { company: 'Agent Co' });
    const sahutId = contact(0)?.id;
    gone.add('crm-0');

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ deleted: 1, unchanged: 1 });
    const [row] = (await store.queryAudit({ runId: run.id, action: 'deleted', limit: 10 })).rows;
    expect(row).toMatchObject({ crmId: 'crm-0', sahutId, error: null });
    const tagged = sandbox.contacts().find((c) => c.id === sahutId);
    expect(tagged?.tags).toEqual(['crm', 'customer', 'crm-deleted']);
    expect(tagged?.company).toBe('Agent Co');
    expect((await store.getLinks('crm', ['crm-0'])).size).toBe(0);
  });

  it('refuses to run against a connector that cannot write back', async () => {
    const readOnly: CrmConnector = {
      ...createMemoryConnector(),
      capabilities: { incremental: true, update: false, create: false },
    };
    const node = deployment.node([connection()], () => readOnly);
    await expect(runOnce(node, 'crm', 'sahut-to-crm')).rejects.toThrow(
      /connection crm cannot sync sahut-to-crm: its CRM connector cannot write back/,
    );
  });

  it('a CRM change pushed on a two-way connection merges with an agent edit instead of overwriting it', async () => {
    const { node, connector, writes, agent, contact } = await synced(2);
    await agent(0, { company: 'Agent Co' });
    await connector.edit('crm-0', { tier: 'gold' });
    await agent(1, { company: 'Agent Inc' });
    await connector.edit('crm-1', { company: 'CRM Inc' });

    sandbox.resetCounts();
    const run = await runOnce(node, 'crm', 'crm-to-sahut');
    expect(run.counts).toEqual({ updated: 1, conflict: 1 });
    // One GET per changed record, and one more before a PUT that follows a CRM write (crm-0:
    // the CRM takes the agent's company, Sahut the tier), so the PUT leaves right after a read.
    expect(sandbox.counts()['GET /contacts/:id']).toBe(3);
    // Different fields: each side gets the other's change, nothing is lost.
    expect(contact(0)).toMatchObject({ company: 'Agent Co', custom_attributes: { tier: 'gold' } });
    expect(crmData(connector, 'crm-0')).toMatchObject({ company: 'Agent Co', tier: 'gold' });
    // The same field: a conflict, resolved for the CRM (onConflict: crm) and written down.
    expect(contact(1)?.company).toBe('CRM Inc');
    const [row] = (await store.queryAudit({ runId: run.id, crmId: 'crm-1', limit: 5 })).rows;
    expect(row?.error).toMatch(/conflict on company: CRM "CRM Inc", Sahut "Agent Inc" → kept CRM/);

    // Settled: the next runs in either direction write nothing.
    sandbox.resetCounts();
    writes.length = 0;
    const echo = await runOnce(node, 'crm', 'crm-to-sahut');
    const scan = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(echo.counts.updated ?? 0).toBe(0);
    expect(scan.counts).toEqual({ unchanged: 2 });
    expect(writes).toEqual([]);
    expect(sandbox.counts()['PUT /contacts/:id'] ?? 0).toBe(0);
  });

  it('puts a Sahut-owned field changed in the CRM back, whichever direction runs first', async () => {
    const mapping = MAPPING_YAML.replace(
      'custom_attributes.tier: { from: tier, owner: both }',
      'custom_attributes.tier: { from: tier, owner: sahut }',
    );
    expect(mapping).not.toBe(MAPPING_YAML);
    const { node, connector, contact } = await synced(2, connection({ mapping }));
    await connector.edit('crm-0', { tier: 'bronze' });

    // The scan first: Sahut did not change, so nothing to do there…
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 2 });
    // …then the push finds the CRM's edit of a Sahut-owned field and puts Sahut's value back.
    const push = await runOnce(node, 'crm', 'crm-to-sahut');
    expect(push.counts).toEqual({ updated: 1 });
    expect(crmData(connector, 'crm-0')?.tier).toBe('silver');
    expect(contact(0)?.custom_attributes.tier).toBe('silver');
    const [row] = (await store.queryAudit({ runId: push.id, limit: 5 })).rows;
    expect(row?.error).toBe(
      'custom_attributes.tier is owned by Sahut: the CRM\'s "bronze" overwritten with "silver"',
    );
    const link = (await store.getLinks('crm', ['crm-0'])).get('crm-0');
    expect(link?.base.custom_attributes?.tier).toBe('silver');

    // Converged: idle passes of both directions write and fetch nothing.
    sandbox.resetCounts();
    expect((await runOnce(node, 'crm', 'crm-to-sahut')).counts.updated ?? 0).toBe(0);
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 2 });
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
  });

  it('keeps tag order differences from looking like changes after a write-back', async () => {
    const { node, agent, connector } = await synced(1);
    await agent(0, { tags: ['vip', 'customer', 'crm'] });
    const back = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(back.counts).toEqual({ updated: 1 });
    expect(crmData(connector, 'crm-0')?.tags).toBe('vip;customer;crm');
    sandbox.resetCounts();
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 1 });
    expect((await runOnce(node, 'crm', 'crm-to-sahut')).counts.updated ?? 0).toBe(0);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
  });

  it('never gives a CRM record the phone or email another linked record holds', async () => {
    const { node, connector, writes, agent, contact } = await synced(2);
    // An agent gives contact 0 the email of CRM record 1 (and renames it).
    await agent(0, { email: 'customer1@example.com', name: 'Budi Baru' });

    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    // The scan sees two contacts sharing an email now, and says so once.
    expect(run.counts).toEqual({ conflict: 1, unchanged: 1, 'duplicate-suspected': 1 });
    expect(writes).toEqual([{ id: 'crm-0', fields: { name: 'Budi Baru' } }]);
    expect(crmData(connector, 'crm-0')?.email).toBe('customer0@example.com');
    const [row] = (await store.queryAudit({ runId: run.id, action: 'conflict', limit: 5 })).rows;
    expect(row?.crmId).toBe('crm-0');
    expect(row?.error).toContain(
      'email customer1@example.com not written to CRM record crm-0: CRM record crm-1',
    );
    expect(row?.detail).toMatchObject({
      heldBack: [{ field: 'email', value: 'customer1@example.com', heldBy: { crmId: 'crm-1' } }],
    });
    expect(contact(0)?.email).toBe('customer1@example.com');

    // Settled until one side changes again: idle passes do nothing.
    sandbox.resetCounts();
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 2 });
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
    expect(writes).toHaveLength(1);
  });
});
