import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../src/config/index.ts';
import { sourceSchema } from '../src/crm/index.ts';
import { buildHubspotSandbox, type HubspotSandbox } from '../src/hubspot-sandbox/index.ts';
import { createLogger } from '../src/log/index.ts';
import { createConnectors } from '../src/queue/runtime.ts';
import { testConnection } from './helpers/engine.ts';
import { deletePrefix, REDIS_URL, uniqueName } from './helpers/env.ts';
import { HUBSPOT_TOKEN } from './helpers/hubspot.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

let sandbox: HubspotSandbox;
let baseUrl: string;
let redis: Redis;
let prefix: string;
const log = createLogger({ level: 'silent' });

function connection(name: string, limits: Record<string, number> = {}): Connection {
  return {
    ...testConnection(name),
    source: sourceSchema.parse({ type: 'hubspot', token: HUBSPOT_TOKEN, baseUrl, limits }),
  };
}

beforeEach(async () => {
  sandbox = await buildHubspotSandbox({ token: HUBSPOT_TOKEN, limits: { tenSecondly: 20, daily: 5000 } });
  baseUrl = await sandbox.listen();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  prefix = uniqueName('hubspot-rt');
});
afterEach(async () => {
  await sandbox.close();
  await deletePrefix(prefix);
  await redis.quit();
});

describe('hubspot in the runtime: limits shared by every worker through Redis', () => {
  it("two workers' connectors of one app stay together under the app's 10-second limit", async () => {
    const config = { syncConfigPath: '/tmp/x.yaml', store: { kind: 'sqlite' } } as Parameters<
      typeof createConnectors
    >[0];
    const conns = [connection('hub', { burstPer10s: 20 })];
    // Two processes' worth of connectors, sharing only Redis.
    const workers = [1, 2].map(() => createConnectors(config, conns, log, undefined, { redis, prefix }));
    const read = async (w: (typeof workers)[number]) => {
      for (let i = 0; i < 11; i++) await w.get('hub').get(String(i));
    };
    await Promise.all(workers.map(read));
    expect(sandbox.limitCounters()).toMatchObject({ rejected: { TEN_SECONDLY_ROLLING: 0 } });
    expect(sandbox.limitCounters().peakTenSecondly).toBeLessThanOrEqual(20);
    for (const w of workers) await w.close();
  }, 30_000);
});

describe('hubspot in the runtime: the daily budget on the health page', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await createHarness();
  });
  afterEach(() => harness.close());

  it("shows the calls left today as the workers' last HubSpot answer reported them", async () => {
    const conns = [connection('hub')];
    const config = { syncConfigPath: '/tmp/x.yaml', store: { kind: 'sqlite' } } as Parameters<
      typeof createConnectors
    >[0];
    const connectors = createConnectors(config, conns, log, undefined, { redis, prefix: harness.prefix });
    await connectors.get('hub').get('1');
    await connectors.close();
    const server = await harness.start({ connections: conns });
    const deadline = Date.now() + 5000;
    let page = '';
    while (!page.includes('id="crm-daily"')) {
      expect(Date.now()).toBeLessThan(deadline);
      page = await (await fetch(`${server.url}/`, { headers: { authorization: basic() } })).text();
    }
    expect(page).toMatch(/<td>hub<\/td><td class="num">4999<\/td><td class="num">5000<\/td>/);
    expect(page).not.toContain(HUBSPOT_TOKEN);
  });
});
