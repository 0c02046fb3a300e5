import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/index.ts';
import { dropSchema, PG_URL, uniqueName } from './helpers/env.ts';
import { startPgProxy } from './helpers/pg-proxy.ts';

/**
 * One audit row per record per attempt, even when the store's COMMIT is carried out and its
 * reply lost: the statement is retried (as any transient error is) and must not write twice.
 */
describe('postgres store: an audit batch whose COMMIT reply was lost', () => {
  const schema = uniqueName('store').replace(/-/g, '_');
  let proxy: Awaited<ReturnType<typeof startPgProxy>>;
  let store: Store;

  beforeAll(async () => {
    proxy = await startPgProxy();
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    store = await openStore({ kind: 'postgres', url: url.toString(), schema });
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await dropSchema(schema);
  });

  it('is retried on a new connection and written once', async () => {
    const entry = (crmId: string) => ({
      runId: 'run-lost-reply',
      jobId: 'job-1',
      connection: 'crm',
      direction: 'crm-to-sahut' as const,
      crmId,
      sahutId: null,
      action: 'failed' as const,
      diff: null,
      error: 'the record needs a person',
      attempt: 1,
    });
    proxy.dropNextCommitReply();
    await store.appendAudit([entry('a'), entry('b')]);
    expect(proxy.dropped()).toBe(1);

    const { rows } = await store.queryAudit({ runId: 'run-lost-reply', limit: 10 });
    expect(rows.map((r) => r.crmId).sort()).toEqual(['a', 'b']);
    // The attention listing was kept by the committed transaction, once.
    const listed = await store.listAttention({ connection: 'crm', limit: 10 });
    expect(listed.entries.map((e) => [e.crmId, e.times])).toEqual(
      expect.arrayContaining([
        ['a', 1],
        ['b', 1],
      ]),
    );
  });
});
