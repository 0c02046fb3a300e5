import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, Connection } from '../src/config/index.ts';
import { createMemoryConnector } from '../src/crm/index.ts';
import { QUEUES, syncSchedules } from '../src/queue/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type Node, startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, deletePrefix, privateStore, REDIS_URL, testConfig, uniqueName } from './helpers/env.ts';

describe('scheduler', () => {
  let prefix: string;
  let redis: Redis;
  let queue: Queue;

  beforeEach(async () => {
    prefix = uniqueName('sched');
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(QUEUES.runs, { connection: redis, prefix });
    await queue.waitUntilReady();
  });

  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    await deletePrefix(prefix);
  });

  const scheduled = (name: string, cron: string): Connection => ({
    ...testConnection(name),
    schedule: { cron, tz: 'Asia/Jakarta' },
  });

  it('keeps exactly one schedule per connection across restarts, and removes dropped ones', async () => {
    const connections = [
      scheduled('crm', '0 */15 * * * *'),
      scheduled('shop', '0 0 * * * *'),
      testConnection('manual'),
    ];
    for (let restart = 0; restart < 3; restart++) await syncSchedules(queue, connections);
    // Two schedulers starting at once must not duplicate either.
    await Promise.all([syncSchedules(queue, connections), syncSchedules(queue, connections)]);

    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual([
      ['sync--crm--crm-to-sahut', '0 */15 * * * *', 'Asia/Jakarta'],
      ['sync--shop--crm-to-sahut', '0 0 * * * *', 'Asia/Jakarta'],
    ]);

    const changes = await syncSchedules(queue, [scheduled('crm', '0 */5 * * * *')]);
    expect(changes.removed).toEqual(['sync--shop--crm-to-sahut']);
    const after = await queue.getJobSchedulers(0, -1);
    expect(after.map((s) => [s.key, s.pattern])).toEqual([['sync--crm--crm-to-sahut', '0 */5 * * * *']]);
  });

  describe('a scheduled run', () => {
    let sandbox: Sandbox;
    let store: Store;
    let dispose: () => Promise<void>;
    let config: Readonly<Config>;
    let node: Node | undefined;

    beforeEach(async () => {
      const started = await startSandbox({ apiKey: API_KEY });
      sandbox = started.sandbox;
      const s = await privateStore('sqlite');
      ({ store, dispose } = s);
      config = testConfig({ ...s.env, SAHUT_BASE_URL: started.baseUrl, QUEUE_PREFIX: prefix });
    });

    afterEach(async () => {
      await node?.close();
      await sandbox.close();
      await dispose();
    });

    it('fires from a seconds-level cron pattern and syncs into Sahut', async () => {
      const connection = scheduled('crm', '*/1 * * * * *');
      const connector = createMemoryConnector([{ id: 'c1', data: { name: 'Budi', phone: '0812-3456-789' } }]);
      const events = new QueueEvents(QUEUES.runs, { connection: redis.duplicate(), prefix });
      await events.waitUntilReady();
      // The first run that did the sync (a later tick finding it still going completes as skipped).
      const completed = new Promise<string>((resolve) =>
        events.on('completed', ({ jobId, returnvalue }) => {
          const value = typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue;
          if (value?.runId) resolve(jobId);
        }),
      );

      await syncSchedules(queue, [connection]);
      await syncSchedules(queue, [connection]);
      node = startNode(config, store, [connection], () => connector);
      const jobId = await completed;
      await events.close();

      expect(jobId).toMatch(/^repeat:sync--crm--crm-to-sahut:/);
      expect(sandbox.contacts().map((c) => c.phone)).toEqual(['+628123456789']);
      expect(await queue.getJobSchedulers(0, -1)).toHaveLength(1);
      const runs = await store.listRuns({ connection: 'crm', limit: 10 });
      expect(runs[0]).toMatchObject({ status: 'succeeded', counts: { created: 1 } });
    });
  });
});
