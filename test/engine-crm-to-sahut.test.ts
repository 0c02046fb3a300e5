import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CrmRecord, createMemoryConnector, type MemoryConnector } from '../src/crm/index.ts';
import type { Sandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { WRITTEN_EARLIER } from '../src/sync/apply/written-earlier.ts';
import {
  type EngineDeployment,
  engineDeployment,
  fullScan,
  runOnce,
  startNode,
  testConnection,
} from './helpers/engine.ts';
import type { StoreKind } from './helpers/env.ts';

const phoneDigits = (i: number) => `81${String(10_000_000 + i).padStart(8, '0')}`;

function crmRecord(i: number): CrmRecord {
  return {
    id: `crm-${i}`,
    data: {
      name: `Customer ${i}`,
      // The formats CRMs hold: national with dashes, country code without +, spaced international.
      phone:
        i % 3 === 0
          ? `0${phoneDigits(i).slice(0, 3)}-${phoneDigits(i).slice(3)}`
          : i % 3 === 1
            ? `62${phoneDigits(i)}`
            : `+62 ${phoneDigits(i)}`,
      email: i % 2 === 0 ? `Customer${i}@Example.com ` : `customer${i}@example.com`,
      company: `Company ${i % 7}`,
      tags: 'crm;customer',
      tier: 'silver',
    },
  };
}

describe.each<StoreKind>(['sqlite', 'postgres'])('CRM → Sahut sync (%s store)', (kind) => {
  let sandbox: Sandbox;
  let store: Store;
  let deployment: EngineDeployment;

  beforeEach(async () => {
    deployment = await engineDeployment(kind);
    ({ sandbox, store } = deployment);
  });

  afterEach(() => deployment.dispose());

  const node = (connector: MemoryConnector | ReturnType<typeof fullScan>, concurrency = 8) =>
    deployment.node([testConnection()], () => connector, concurrency);

  it('creates no duplicates, links existing contacts, and updates only changed fields', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => crmRecord(i));
    // 300 CRM records already exist in Sahut, stored in E.164 with differently cased emails; one field differs on some.
    sandbox.seed(
      records.slice(0, 300).map((r, i) => ({
        name: String(r.data.name),
        phone: `+62${phoneDigits(i)}`,
        email: `CUSTOMER${i}@example.com`,
        company: i < 100 ? 'Old Company' : String(r.data.company),
        tags: ['crm', 'customer'],
        custom_attributes: { tier: 'silver' },
      })),
    );
    // …and 700 unrelated contacts that must be left alone.
    sandbox.seed(
      Array.from({ length: 700 }, (_, i) => ({
        name: `Other ${i}`,
        phone: `+6285${String(20_000_000 + i)}`,
        email: `other${i}@elsewhere.id`,
      })),
    );
    const connector = createMemoryConnector(records);
    const run = await runOnce(node(connector, 16));

    expect(run.status).toBe('succeeded');
    expect(run.total).toBe(1000);
    expect(run.counts).toMatchObject({ created: 700, linked: 300 });
    const contacts = sandbox.contacts();
    expect(contacts).toHaveLength(1700);
    expect(new Set(contacts.map((c) => c.phone)).size).toBe(1700);
    // Only the 100 linked contacts whose company differed were written to.
    expect(sandbox.counts()['PUT /contacts/:id']).toBe(100);
    expect(sandbox.counts()['POST /contacts']).toBe(700);
    const audit = await store.queryAudit({ runId: run.id, limit: 1000 });
    expect(audit.rows).toHaveLength(1000);
    const changed = audit.rows.filter((r) => r.action === 'linked' && r.diff);
    expect(changed).toHaveLength(100);
    expect(changed[0]?.diff).toEqual({
      company: { before: 'Old Company', after: expect.stringMatching(/^Company \d$/) },
    });
    const created = contacts.find((c) => c.email === 'customer999@example.com');
    expect(created).toMatchObject({
      phone: `+62${phoneDigits(999)}`,
      tags: ['crm', 'customer'],
      custom_attributes: { tier: 'silver' },
    });
  });

  it('makes zero API calls for unchanged records, and one PUT per changed record', async () => {
    const connector = createMemoryConnector(Array.from({ length: 200 }, (_, i) => crmRecord(i)));
    const n = node(fullScan(connector));
    await runOnce(n);
    expect(sandbox.contacts()).toHaveLength(200);

    sandbox.resetCounts();
    const again = await runOnce(n);
    expect(sandbox.counts()).toEqual({});
    expect(again.counts).toEqual({ unchanged: 200 });

    for (let i = 0; i < 10; i++) await connector.edit(`crm-${i}`, { company: 'Moved Inc' });
    sandbox.resetCounts();
    const third = await runOnce(n);
    expect(sandbox.counts()).toEqual({ 'PUT /contacts/:id': 10 });
    expect(third.counts).toEqual({ unchanged: 190, updated: 10 });
    const updated = await store.queryAudit({ runId: third.id, action: 'updated', limit: 50 });
    expect(updated.rows.map((r) => r.diff)).toEqual(
      Array(10).fill({ company: { before: expect.any(String), after: 'Moved Inc' } }),
    );
  });

  it('takes again a record edited during the run and read again in a later window', async () => {
    const memory = createMemoryConnector([crmRecord(1), crmRecord(2)]);
    let reads = 0;
    const crm = {
      ...memory,
      read: (cursor: string | null, opts?: Parameters<MemoryConnector['read']>[1]) => {
        // crm-1's window is settled; before the next window is read, crm-1 is edited in the CRM.
        if (++reads === 2) void memory.edit('crm-1', { company: 'Edited during the run' });
        return memory.read(cursor, opts);
      },
    };
    const worker = deployment.node([testConnection('crm', { windowSize: 1, pageSize: 1 })], () => crm);
    const run = await runOnce(worker);
    expect(run).toMatchObject({ status: 'succeeded', total: 2, counts: { created: 1, updated: 1 } });
    expect(sandbox.contacts().find((c) => c.name === 'Customer 1')?.company).toBe('Edited during the run');
  });

  it('reports what an attempt did when it died between its writes and its audit rows', async () => {
    const connector = createMemoryConnector(Array.from({ length: 6 }, (_, i) => crmRecord(i)));
    // The record job's audit rows are lost once, as when its worker is killed right before writing them.
    let lost = false;
    const dying: Store = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'appendAudit') return typeof value === 'function' ? value.bind(target) : value;
        return async (entries: Parameters<Store['appendAudit']>[0]) => {
          if (!lost && entries.some((e) => e.jobId?.startsWith('rec-'))) {
            lost = true;
            throw new Error('killed before the audit rows');
          }
          return target.appendAudit(entries);
        };
      },
    });
    const worker = startNode(deployment.config, dying, [testConnection()], () => connector);
    try {
      const run = await runOnce(worker);
      expect(run.counts).toEqual({ created: 6 });
      const rows = (await store.queryAudit({ runId: run.id, limit: 50 })).rows;
      expect(rows.filter((r) => r.error === WRITTEN_EARLIER)).toHaveLength(6);
      expect(sandbox.contacts()).toHaveLength(6);
    } finally {
      await worker.close();
    }
  });

  it('two workers given two records with the same phone create one contact', async () => {
    const twin = (id: string, name: string): CrmRecord => ({
      id,
      data: { name, phone: '0812-3456-789', email: '' },
    });
    const connector = createMemoryConnector([twin('a', 'Budi'), twin('b', 'Budi S.')]);
    // Two independent worker "processes" on one queue, each able to take one of the twins at once.
    const first = node(connector, 1);
    node(connector, 1);
    const run = await runOnce(first);

    expect(sandbox.contacts()).toHaveLength(1);
    expect(sandbox.counts()['POST /contacts']).toBe(1);
    const actions = (await store.queryAudit({ runId: run.id, limit: 10 })).rows.map((r) => r.action).sort();
    expect(actions).toEqual(['created', 'linked']);
  });

  it('never duplicates when Sahut commits a POST but the answer is lost', async () => {
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', every: 2, action: 'commit-then-drop' }] });
    const connector = createMemoryConnector(Array.from({ length: 40 }, (_, i) => crmRecord(i)));
    const run = await runOnce(node(connector));

    expect(run.counts).toEqual({ created: 40 });
    const contacts = sandbox.contacts();
    expect(contacts).toHaveLength(40);
    expect(new Set(contacts.map((c) => c.phone)).size).toBe(40);
    // Every dropped answer was followed by a search, not by a second POST.
    expect(sandbox.counts()['POST /contacts']).toBe(40);
  });

  it('audits ambiguous and invalid records with a reason and completes the rest', async () => {
    sandbox.seed([
      { name: 'Phone twin', phone: '+628111111111', email: 'one@example.com' },
      { name: 'Email twin', phone: '+628222222222', email: 'two@example.com' },
    ]);
    const connector = createMemoryConnector([
      {
        id: 'amb',
        data: { name: 'Mixed', phone: '08111111111', email: 'two@example.com', notes: 'VIP, owes 5M' },
      },
      { id: 'bad-phone', data: { name: 'Bad', phone: '12345', email: 'bad@example.com' } },
      { id: 'bad-email', data: { name: 'Bad', phone: '', email: 'budi@' } },
      { id: 'no-name', data: { name: '', phone: '08133333333', email: '' } },
      ...Array.from({ length: 20 }, (_, i) => crmRecord(100 + i)),
    ]);
    const worker = node(connector);
    const run = await runOnce(worker);

    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ created: 20, ambiguous: 1, rejected: 3 });
    const rows = (await store.queryAudit({ runId: run.id, limit: 100 })).rows;
    const reason = (crmId: string) => rows.find((r) => r.crmId === crmId)?.error;
    expect(reason('amb')).toMatch(/ct_\w+.*ct_\w+/);
    expect(reason('bad-phone')).toMatch(/phone/);
    expect(reason('bad-email')).toMatch(/email/);
    expect(reason('no-name')).toMatch(/name is required/);
    expect(sandbox.contacts()).toHaveLength(22);
    // Jobs kept in Redis (and shown in the board) carry only the columns the mapping reads.
    // A batch keeps exactly the records that need a person, for replay.
    const failed = await worker.rt.queues.records.getFailed();
    const kept = failed.flatMap((j) => j.data.records as { id: string }[]);
    expect(kept.map((r) => r.id).sort()).toEqual(['amb', 'no-name']);
    expect(kept.find((r) => r.id === 'amb')).toEqual({
      id: 'amb',
      data: { name: 'Mixed', phone: '08111111111', email: 'two@example.com' },
      held: { action: 'ambiguous', error: expect.stringMatching(/ct_\w+.*ct_\w+/) },
    });
  });
});
