import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSahutClient, type SahutClient } from '../src/sahut/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { prepareRecord } from '../src/sync/apply/prepare.ts';
import type { Ready } from '../src/sync/apply/reconcile.ts';
import { syncToSahut } from '../src/sync/apply/to-sahut.ts';
import { testConnection } from './helpers/engine.ts';
import { API_KEY, privateStore } from './helpers/env.ts';

const connection = testConnection('crm');
const ctx = { connection, defaultRegion: 'ID' };
const record = (id: string) =>
  prepareRecord(
    { id, data: { name: 'Mixed Up', phone: '0811-1111-111', email: 'two@example.com', company: 'PT A' } },
    connection,
    'ID',
  ) as Ready;

describe('what a person decided about an ambiguous record', () => {
  let sandbox: Sandbox;
  let sahut: SahutClient;
  let store: Store;
  let dispose: () => Promise<void>;
  let candidates: [string, string];
  let twins: { phone: string; email: string };

  beforeEach(async () => {
    const started = await startSandbox({ apiKey: API_KEY });
    sandbox = started.sandbox;
    sahut = createSahutClient({ baseUrl: started.baseUrl, apiKey: API_KEY });
    ({ store, dispose } = await privateStore('sqlite'));
    const seeded = sandbox.seed([
      { name: 'Phone Twin', phone: '+628111111111', company: 'PT B' },
      { name: 'Email Twin', email: 'two@example.com' },
    ]);
    twins = { phone: seeded[0]!.id, email: seeded[1]!.id };
    candidates = [twins.phone, twins.email].sort() as [string, string];
  });
  afterEach(async () => {
    await sahut.close();
    await sandbox.close();
    await dispose();
  });

  const sync = (id: string) =>
    syncToSahut({ sahut, store, locks: { withLocks: (_keys, fn) => fn() } }, ctx, record(id), undefined);

  it('without one, audits the record beside each candidate, field by field', async () => {
    const outcome = await sync('amb');
    expect(outcome.action).toBe('ambiguous');
    expect(outcome.detail).toMatchObject({
      candidates,
      crm: { name: 'Mixed Up', phone: '+628111111111', email: 'two@example.com', company: 'PT A' },
      contacts: [
        { id: twins.phone, name: 'Phone Twin', phone: '+628111111111', email: null, company: 'PT B' },
        { id: twins.email, name: 'Email Twin', phone: null, email: 'two@example.com', company: null },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    });
  });

  it('links the chosen contact without searching, and searches again once it is gone', async () => {
    await store.saveDecision({
      connection: 'crm',
      crmId: 'amb',
      kind: 'link',
      sahutId: candidates[1],
      by: 'ops',
      at: new Date(),
    });
    sandbox.resetCounts();
    const linked = await sync('amb');
    expect(linked).toMatchObject({ action: 'linked', sahutId: candidates[1] });
    expect(sandbox.counts()['GET /contacts']).toBeUndefined();
    expect((await store.getLinks('crm', ['amb'])).get('amb')?.sahutId).toBe(candidates[1]);

    await store.saveDecision({
      connection: 'crm',
      crmId: 'amb2',
      kind: 'link',
      sahutId: 'ct_gone',
      by: 'ops',
      at: new Date(),
    });
    expect((await sync('amb2')).action).toBe('ambiguous');
  });

  it('creates a contact instead of the ones ruled out, but not past a new candidate', async () => {
    await store.saveDecision({
      connection: 'crm',
      crmId: 'amb',
      kind: 'create',
      ruledOut: [candidates[0]],
      by: 'ops',
      at: new Date(),
    });
    expect((await sync('amb')).action).toBe('ambiguous');

    await store.saveDecision({
      connection: 'crm',
      crmId: 'amb',
      kind: 'create',
      ruledOut: candidates,
      by: 'ops',
      at: new Date(),
    });
    const created = await sync('amb');
    expect(created.action).toBe('created');
    expect(candidates).not.toContain(created.sahutId);
    expect(sandbox.contacts()).toHaveLength(3);
  });
});
