import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CrmRecord, createMemoryConnector } from '../src/crm/index.ts';
import { createRecordBatch } from '../src/queue/records/record-batch.ts';
import type { Store } from '../src/store/index.ts';
import {
  type EngineDeployment,
  engineDeployment,
  runOnce,
  startNode,
  testConnection,
} from './helpers/engine.ts';
import type { StoreKind } from './helpers/env.ts';

const person = (i: number): CrmRecord => ({
  id: `crm-${i}`,
  data: { name: `Person ${i}`, phone: `0812-7000-${String(1000 + i)}`, email: `person${i}@example.com` },
});

/** The real store, with every call counted by method: what a record job asks of it. */
function counted(store: Store, fail?: { method: keyof Store; times: number }) {
  const calls = new Map<string, number>();
  const proxy: Store = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        if (fail && key === fail.method && fail.times > 0) {
          fail.times -= 1;
          return Promise.reject(new Error(`store: ${String(key)} failed`));
        }
        return value.apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

describe.each<StoreKind>(['sqlite', 'postgres'])(
  'a record job does its store work per batch (%s store)',
  (kind) => {
    let deployment: EngineDeployment;
    beforeEach(async () => {
      deployment = await engineDeployment(kind);
    });
    afterEach(() => deployment.dispose());

    it('claims, reads and writes the records of one job together: one call of each, none per record', async () => {
      const connector = createMemoryConnector(Array.from({ length: 20 }, (_, i) => person(i)));
      const { proxy, calls } = counted(deployment.store);
      const node = startNode(
        deployment.config,
        proxy,
        [testConnection('crm', { match: 'scan' })],
        () => connector,
      );
      try {
        const run = await runOnce(node);
        expect(run.counts).toEqual({ created: 20 });
      } finally {
        await node.close();
      }
      // One job of 20 records (RECORD_BATCH_SIZE), one batch: the links read at its start and again
      // under the identity locks, the scan index asked once, the claims taken once, the writes saved once.
      expect(calls.get('claimIdentitiesBatch')).toBe(1);
      expect(calls.get('findIndexedBatch')).toBe(1);
      expect(calls.get('saveRecordWrites')).toBe(1);
      expect(calls.get('releaseIdentities')).toBe(1);
      for (const perRecord of ['claimIdentities', 'findIndexed', 'upsertLink'])
        expect(calls.get(perRecord), perRecord).toBeUndefined();
      expect(await deployment.store.findIndexed({ phone: '+6281270001000', email: null })).toHaveLength(1);
    });

    it('fails the attempts of the records whose writes could not be saved; the next attempt links what they created', async () => {
      // As when the store goes away between the POSTs and the save: the contacts exist, their links do not.
      const connector = createMemoryConnector(Array.from({ length: 6 }, (_, i) => person(i)));
      const { proxy } = counted(deployment.store, { method: 'saveRecordWrites', times: 1 });
      const node = startNode(deployment.config, proxy, [testConnection()], () => connector);
      try {
        const run = await runOnce(node);
        // A retried attempt searches Sahut live and links the contact its first attempt created.
        expect(run.counts).toEqual({ linked: 6 });
        const retried = await deployment.store.queryAudit({ runId: run.id, action: 'retrying', limit: 20 });
        expect(retried.rows.map((r) => r.error)).toEqual(
          Array.from({ length: 6 }, () => expect.stringContaining('saveRecordWrites failed')),
        );
      } finally {
        await node.close();
      }
      // The contacts the first attempt created were found by a live search, not created again.
      expect(deployment.sandbox.contacts()).toHaveLength(6);
      expect(deployment.sandbox.counts()['POST /contacts']).toBe(6);
      expect((await deployment.store.getLinks('crm', ['crm-0', 'crm-5'])).size).toBe(2);
    });
  },
);

describe('a contended batch', () => {
  let deployment: EngineDeployment;
  beforeEach(async () => {
    deployment = await engineDeployment('sqlite');
  });
  afterEach(() => deployment.dispose());

  it('lets go of what its finished records hold, so two batches waiting on each other both go on', async () => {
    const { rt } = deployment.node([testConnection()], () => createMemoryConnector([]));
    const [one, two] = [createRecordBatch(rt, 'crm', new Map()), createRecordBatch(rt, 'crm', new Map())];
    const hold = async (batch: typeof one, crmId: string, key: string) => {
      const got = await batch.portsFor(crmId).locks.withLocks([`crm:phone:${key}`], async () => crmId);
      await batch.finish(crmId);
      return got;
    };
    // Each batch has a finished record still holding its lock until the batch is saved …
    await hold(one, 'a', '+6281100000001');
    await hold(two, 'c', '+6281100000002');
    // … and a record wanting the lock the other batch holds. Kept until each batch's end, the two
    // locks would wait for each other until the lock wait ran out (4 job locks, 2 minutes).
    const started = Date.now();
    await expect(
      Promise.all([hold(one, 'b', '+6281100000002'), hold(two, 'd', '+6281100000001')]),
    ).resolves.toEqual(['b', 'd']);
    expect(Date.now() - started).toBeLessThan(rt.config.worker.lockMs);
    expect([...(await one.flush())]).toEqual([]);
    expect([...(await two.flush())]).toEqual([]);
  }, 60_000);
});
