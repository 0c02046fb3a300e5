import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/index.ts';
import { createMemoryConnector } from '../src/crm/index.ts';
import { enqueueRun, waitForRun } from '../src/queue/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import type { Run, Store } from '../src/store/index.ts';
import { type Node, startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, deletePrefix, privateStore, testConfig, uniqueName, until } from './helpers/env.ts';

describe('one run per connection at a time', () => {
  let sandbox: Sandbox;
  let store: Store;
  let dispose: () => Promise<void>;
  let config: Readonly<Config>;
  let node: Node;
  let prefix: string;

  beforeEach(async () => {
    const started = await startSandbox({ apiKey: API_KEY, faults: { latencyMs: 30 } });
    sandbox = started.sandbox;
    const s = await privateStore('sqlite');
    ({ store, dispose } = s);
    prefix = uniqueName('guard');
    config = testConfig({ ...s.env, SAHUT_BASE_URL: started.baseUrl, QUEUE_PREFIX: prefix });
    const records = Array.from({ length: 40 }, (_, i) => ({
      id: `c${i}`,
      data: { name: `C ${i}`, phone: `0812${String(5_000_000 + i)}` },
    }));
    const connector = createMemoryConnector(records);
    node = startNode(config, store, [testConnection()], () => connector);
  });

  afterEach(async () => {
    await node.close();
    await sandbox.close();
    await dispose();
    await deletePrefix(prefix);
  });

  it('queues a second run started by hand behind the first, and skips a scheduled one', async () => {
    const first = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    const second = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    await until(() => sandbox.contacts().length >= 5, 20_000, 'a run to be under way');
    const scheduled = await node.rt.queues.runs.add('run', {
      connection: 'crm',
      direction: 'crm-to-sahut',
      trigger: 'schedule',
    });
    const runs = await Promise.all([
      waitForRun(node.rt, first.job, first.runId),
      waitForRun(node.rt, second.job, second.runId),
    ]);

    // Whichever claimed the connection first synced everything; the other read from the cursor it left.
    const [earlier, later] = runs.sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime()) as [Run, Run];
    expect(earlier.counts).toEqual({ created: 40 });
    expect(later.total).toBe(0);
    expect(later.startedAt.getTime()).toBeGreaterThanOrEqual((earlier.finishedAt as Date).getTime());
    expect(sandbox.contacts()).toHaveLength(40);

    let skipped: unknown;
    await until(async () => {
      const job = await node.rt.queues.runs.getJob(scheduled.id as string);
      skipped = job?.returnvalue;
      return (await job?.getState()) === 'completed';
    });
    expect(skipped).toMatchObject({ runId: null, skippedFor: expect.any(String) });
    expect((await store.listRuns({ connection: 'crm', limit: 10 })).length).toBe(2);
  });
});
