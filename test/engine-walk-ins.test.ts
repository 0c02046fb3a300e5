import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import { type CrmConnector, sourceSchema } from '../src/crm/index.ts';
import { createLogger } from '../src/log/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import { createConnectors } from '../src/queue/runtime.ts';
import type { IdentityLocks } from '../src/sync/apply/ports.ts';
import { type CrmKind, type CrmTable, crmTable } from './helpers/crm-tables.ts';
import {
  type EngineDeployment,
  engineDeployment,
  MAPPING_YAML,
  type Node,
  runOnce,
  startNode,
} from './helpers/engine.ts';

const CREATE = { tags: ['lead'], defaults: { status: 'new' } };

function connection(crm: CrmTable, name = 'crm', createInCrm: unknown = CREATE): Connection {
  return {
    name,
    source: sourceSchema.parse(crm.source),
    mapping: parseMapping(MAPPING_YAML, 'yaml'),
    directions: ['crm-to-sahut', 'sahut-to-crm'],
    schedule: undefined,
    options: syncOptionsSchema.parse({ createInCrm }),
  };
}

/**
 * Walk-ins (contacts created in Sahut that no CRM record links to) reach the
 * CRM during a sahut-to-crm run: the real engine, the sandbox as Sahut, a
 * real PostgreSQL or MariaDB CRM table.
 */
describe.each<CrmKind>(['postgres', 'mariadb'])('walk-in contacts → CRM (%s table)', (kind) => {
  let deployment: EngineDeployment;
  let crm: CrmTable;
  const nodes: Node[] = [];
  const node = (connections: Connection[], connectorFor?: (c: Connection) => CrmConnector) => {
    const n = startNode(deployment.config, deployment.store, connections, connectorFor);
    nodes.push(n);
    return n;
  };

  beforeEach(async () => {
    // Every walk-in starts with a GET of its contact: slowed down, the two scans' jobs overlap.
    const slowGet = { route: 'GET /contacts/:id', every: 1, action: { delayMs: 15 } };
    deployment = await engineDeployment('postgres', { faults: { rules: [slowGet] } });
    crm = await crmTable(kind);
  });

  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    await deployment.dispose();
    await crm.drop();
  });

  it('creates a tagged walk-in as one CRM record, once, and the CRM→Sahut run makes no call for it', async () => {
    const n = node([connection(crm)]);
    const walkIn = await n.rt.sahut.create({
      name: 'Budi Walk-in',
      phone: '+6281299990001',
      email: 'Budi.Walkin@Example.com',
      tags: ['Lead'],
    });
    await n.rt.sahut.create({ name: 'Not a lead', phone: '+6281299990002', tags: ['customer'] });
    const { sandbox, store } = deployment;

    const run = await runOnce(n, 'crm', 'sahut-to-crm');
    expect(run).toMatchObject({ status: 'succeeded', total: 1, counts: { created: 1 } });
    const rows = await crm.rows();
    expect(rows).toEqual([
      {
        id: expect.any(String),
        name: 'Budi Walk-in',
        phone: '+6281299990001',
        email: 'budi.walkin@example.com',
        company: null,
        tags: 'Lead',
        tier: null,
        status: 'new',
      },
    ]);
    const crmId = rows[0]?.id as string;
    const [row] = (await store.queryAudit({ runId: run.id, limit: 10 })).rows;
    expect(row).toMatchObject({
      direction: 'sahut-to-crm',
      action: 'created',
      crmId: `sahut:${walkIn.id}`,
      sahutId: walkIn.id,
      error: null,
      detail: { crmId },
      diff: {
        name: { before: null, after: 'Budi Walk-in' },
        phone: { before: null, after: '+6281299990001' },
        email: { before: null, after: 'budi.walkin@example.com' },
        tags: { before: null, after: ['Lead'] },
      },
    });
    expect((await store.getLinks('crm', [crmId])).get(crmId)?.sahutId).toBe(walkIn.id);

    // Linked now: the next scan settles it by its hash, and never creates it again.
    sandbox.resetCounts();
    const again = await runOnce(n, 'crm', 'sahut-to-crm');
    expect(again.counts).toEqual({ unchanged: 1 });
    expect(await crm.rows()).toHaveLength(1);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });

    // The CRM reports the new row as a change: its hash is the link's, so no Sahut call.
    const back = await runOnce(n, 'crm', 'crm-to-sahut');
    expect(back).toMatchObject({ status: 'succeeded', total: 1, counts: { unchanged: 1 } });
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
  });

  it('links a walk-in to the one CRM record holding its email, and calls a phone on two records ambiguous', async () => {
    const [x1, x2, siti] = await crm.insert([
      { name: 'Ani', phone: '0812-7777-0001' },
      { name: 'Ani (old)', phone: '+62 812 7777 0001' },
      { name: 'Siti CRM', email: ' SITI@Example.com', company: 'PT CRM' },
    ]);
    const n = node([connection(crm)]);
    const ani = await n.rt.sahut.create({ name: 'Ani', phone: '+6281277770001', tags: ['lead'] });
    const sitiContact = await n.rt.sahut.create({ name: 'Siti', email: 'siti@example.com', tags: ['lead'] });

    const run = await runOnce(n, 'crm', 'sahut-to-crm');
    expect(run).toMatchObject({ status: 'succeeded', total: 2, counts: { ambiguous: 1, linked: 1 } });
    const rows = (await deployment.store.queryAudit({ runId: run.id, limit: 10 })).rows;
    expect(rows.find((r) => r.action === 'ambiguous')).toMatchObject({
      crmId: `sahut:${ani.id}`,
      error: `phone +6281277770001 matches CRM records ${[x1, x2].sort().join(', ')}`,
      detail: { candidates: [x1, x2].sort() },
    });
    expect(rows.find((r) => r.action === 'linked')).toMatchObject({
      crmId: `sahut:${sitiContact.id}`,
      detail: { crmId: siti },
    });
    // A first link: the CRM's values go to the contact, nothing is created.
    expect(await crm.rows()).toHaveLength(3);
    expect(await n.rt.sahut.get(sitiContact.id)).toMatchObject({ name: 'Siti CRM', company: 'PT CRM' });
    expect((await deployment.store.getLinks('crm', [siti as string])).get(siti as string)?.sahutId).toBe(
      sitiContact.id,
    );
  });

  it('one person with two contacts, one by phone and one by email, claiming one CRM record: ambiguous for both, nothing written', async () => {
    const [crmId] = (await crm.insert([
      { name: 'Ana CRM', phone: '(0812) 34567890', email: 'ana@crm.example.com', tags: 'lead' },
    ])) as [string];
    const n = node([connection(crm)]);
    const byPhone = await n.rt.sahut.create({
      name: 'Ana by phone',
      phone: '+6281234567890',
      tags: ['lead'],
    });
    // Other walk-ins between the two, so they are handled apart (other pages, other jobs).
    for (let i = 0; i < 25; i++)
      await n.rt.sahut.create({
        name: `Other ${i}`,
        phone: `+628133300${String(i).padStart(4, '0')}`,
        tags: ['lead'],
      });
    const byEmail = await n.rt.sahut.create({
      name: 'Ana by email',
      email: 'ana@crm.example.com',
      tags: ['lead'],
    });
    const before = [await n.rt.sahut.get(byPhone.id), await n.rt.sahut.get(byEmail.id)];

    for (const pass of [1, 2]) {
      const run = await runOnce(n, 'crm', 'sahut-to-crm');
      expect(run.counts, `pass ${pass}`).toEqual(
        pass === 1 ? { created: 25, ambiguous: 2 } : { unchanged: 25, ambiguous: 2 },
      );
      const ambiguous = (await deployment.store.queryAudit({ runId: run.id, action: 'ambiguous', limit: 10 }))
        .rows;
      expect(ambiguous.map((r) => r.crmId).sort()).toEqual(
        [`sahut:${byEmail.id}`, `sahut:${byPhone.id}`].sort(),
      );
      for (const row of ambiguous) {
        expect(row.detail).toEqual({ candidates: [crmId], contacts: [byEmail.id, byPhone.id].sort() });
        expect(row.error).toMatch(/one person with two contacts\? Merge them in Sahut/);
      }
    }
    // Neither contact was written, the CRM record is as it was, and nothing links to it.
    expect([await n.rt.sahut.get(byPhone.id), await n.rt.sahut.get(byEmail.id)]).toEqual(before);
    expect((await crm.rows()).find((r) => r.id === crmId)).toMatchObject({
      name: 'Ana CRM',
      phone: '(0812) 34567890',
      email: 'ana@crm.example.com',
    });
    expect(await crm.rows()).toHaveLength(26);
    expect((await deployment.store.getLinks('crm', [crmId])).get(crmId)).toBeUndefined();
  });

  it('looks up an insert whose outcome was lost instead of inserting again', async () => {
    const conn = connection(crm);
    const real = createConnectors(deployment.config, [conn], createLogger({ level: 'silent' }));
    let creates = 0;
    const lossy = (c: CrmConnector): CrmConnector => ({
      ...c,
      async create(fields) {
        creates += 1;
        const id = await c.create?.(fields);
        // The row is committed, but the answer never arrives.
        if (creates === 1) throw new Error(`connection lost after inserting ${id}`);
        return id as string;
      },
    });
    const n = node([conn], () => lossy(real.get('crm')));
    const walkIn = await n.rt.sahut.create({ name: 'Lost Answer', phone: '+6281299990003', tags: ['lead'] });

    const run = await runOnce(n, 'crm', 'sahut-to-crm');
    expect(run.counts).toEqual({ created: 1 });
    expect(creates).toBe(1);
    const rows = await crm.rows();
    expect(rows).toHaveLength(1);
    expect(
      (await deployment.store.getLinks('crm', [rows[0]?.id as string])).get(rows[0]?.id as string)?.sahutId,
    ).toBe(walkIn.id);
    await real.close();
  });

  it('fails at once, naming the column, when the CRM refuses the new record', async () => {
    const n = node([connection(crm, 'crm', 'all')]);
    await n.rt.sahut.create({ name: 'No Status', phone: '+6281299990004' });
    const run = await runOnce(n, 'crm', 'sahut-to-crm');
    expect(run.counts).toEqual({ failed: 1 });
    const rows = (await deployment.store.queryAudit({ runId: run.id, limit: 10 })).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'failed', attempt: 1 });
    expect(rows[0]?.error).toMatch(/status.*options\.createInCrm\.defaults/s);
    expect(await crm.rows()).toEqual([]);
  });

  it('two connections writing one table, scanning at once on two nodes, create one record per contact', async () => {
    const contacts = Array.from({ length: 24 }, (_, i) => ({
      name: `Walk-in ${i}`,
      phone: `+62813${String(50_000_000 + i)}`,
      tags: ['lead'],
    }));
    deployment.sandbox.seed(contacts);
    const both = [connection(crm, 'a'), connection(crm, 'b')];
    const [one, two] = [node(both), node(both)];
    // Both nodes live in this process: count how often two of them wanted one identity at once.
    // The first walk-in identity wanted waits (up to 10 s) until it is wanted a second time, so
    // the scans contend whatever the machine's pace; then the real locks decide.
    const active = new Map<string, number>();
    let contended = 0;
    let first: { keys: string[]; go(): void } | null = null;
    for (const n of [one, two]) {
      const locks = n.rt.locks;
      const watched: IdentityLocks = {
        async withLocks(keys, fn, signal) {
          const shared = keys.filter((k) => k.startsWith('@walk-in:'));
          if (shared.some((k) => (active.get(k) ?? 0) > 0)) {
            contended += 1;
            if (first?.keys.some((k) => shared.includes(k))) first.go();
          }
          for (const k of shared) active.set(k, (active.get(k) ?? 0) + 1);
          try {
            if (!first && shared.length > 0) {
              const wanted = new Promise<void>((resolve) => {
                first = { keys: shared, go: resolve };
              });
              await Promise.race([wanted, sleep(10_000)]);
            }
            return await locks.withLocks(keys, fn, signal);
          } finally {
            for (const k of shared) active.set(k, (active.get(k) ?? 1) - 1);
          }
        },
      };
      n.rt.locks = watched;
    }

    const runs = await Promise.all([runOnce(one, 'a', 'sahut-to-crm'), runOnce(two, 'b', 'sahut-to-crm')]);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const rows = await crm.rows();
    expect(rows).toHaveLength(24);
    expect(new Set(rows.map((r) => r.phone)).size).toBe(24);
    const created = runs.reduce((sum, r) => sum + (r.counts.created ?? 0), 0);
    const linked = runs.reduce((sum, r) => sum + (r.counts.linked ?? 0), 0);
    expect([created, linked]).toEqual([24, 24]);
    const ids = rows.map((r) => r.id);
    const [linksA, linksB] = await Promise.all([
      deployment.store.getLinks('a', ids),
      deployment.store.getLinks('b', ids),
    ]);
    for (const id of ids) expect(linksA.get(id)?.sahutId).toBe(linksB.get(id)?.sahutId);
    expect(linksA.size).toBe(24);
    expect(contended, 'the two scans never wanted one identity at once').toBeGreaterThan(0);

    // …and never a second time.
    const again = await Promise.all([runOnce(one, 'a', 'sahut-to-crm'), runOnce(two, 'b', 'sahut-to-crm')]);
    expect(again.map((r) => r.counts)).toEqual([{ unchanged: 24 }, { unchanged: 24 }]);
    expect(await crm.rows()).toHaveLength(24);
  });
});
