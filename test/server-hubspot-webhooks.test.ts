import { createHmac } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../src/config/index.ts';
import { sourceSchema, verifyHubspotSignature } from '../src/crm/index.ts';
import { buildHubspotSandbox, type HubspotSandbox } from '../src/hubspot-sandbox/index.ts';
import { QUEUES } from '../src/queue/index.ts';
import type { HttpServer } from '../src/server/index.ts';
import { testConnection } from './helpers/engine.ts';
import { REDIS_URL } from './helpers/env.ts';
import { createHarness, type Harness } from './server-fixtures.ts';

const SECRET = 'hubspot-client-secret-4f2a';
let harness: Harness;
let server: HttpServer;
let runs: Queue;
let redis: Redis;

function hubspotConnection(name: string): Connection {
  return {
    ...testConnection(name),
    source: sourceSchema.parse({ type: 'hubspot', token: 'pat-na1-x', webhook: { clientSecret: SECRET } }),
  };
}

beforeEach(async () => {
  harness = await createHarness();
  server = await harness.start({ connections: [hubspotConnection('hub'), testConnection('files')] });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  runs = new Queue(QUEUES.runs, { connection: redis, prefix: harness.prefix });
});
afterEach(async () => {
  await runs.close();
  await redis.quit();
  await harness.close();
});

const queued = async () =>
  (await runs.getJobs(['delayed', 'waiting'])).map((j) => j.data as { connection: string; trigger: string });

function sign(url: string, body: string, timestamp: number, secret = SECRET) {
  return createHmac('sha256', secret).update(`POST${url}${body}${timestamp}`).digest('base64');
}

async function deliver(
  path: string,
  events: unknown[],
  opts: { at?: number; secret?: string; tamper?: boolean } = {},
) {
  const url = `${server.url}${path}`;
  const body = JSON.stringify(events);
  const at = opts.at ?? Date.now();
  const signature = sign(url, body, at, opts.secret);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': String(at),
    },
    body: opts.tamper ? body.replace('creation', 'deletion') : body,
  });
  return res.status;
}

const event = (objectId: number) => ({
  eventId: objectId,
  subscriptionType: 'contact.creation',
  objectId,
  occurredAt: Date.now(),
  attemptNumber: 0,
});

describe('serve: HubSpot webhooks at POST /webhooks/hubspot/<connection>', () => {
  it('enqueues one notify run of the connection for a signed delivery', async () => {
    expect(await deliver('/webhooks/hubspot/hub', [event(1)])).toBe(200);
    expect(await queued()).toEqual([expect.objectContaining({ connection: 'hub', trigger: 'notify' })]);
  });

  it('refuses a forged, tampered, stale or unsigned delivery with 401 and enqueues nothing', async () => {
    expect(await deliver('/webhooks/hubspot/hub', [event(1)], { secret: 'guessed-secret' })).toBe(401);
    expect(await deliver('/webhooks/hubspot/hub', [event(1)], { tamper: true })).toBe(401);
    expect(await deliver('/webhooks/hubspot/hub', [event(1)], { at: Date.now() - 5 * 60_000 - 1000 })).toBe(
      401,
    );
    expect(await deliver('/webhooks/hubspot/hub', [event(1)], { at: Date.now() + 6 * 60_000 })).toBe(401);
    const unsigned = await fetch(`${server.url}/webhooks/hubspot/hub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(unsigned.status).toBe(401);
    expect(await queued()).toEqual([]);
    expect(harness.logs.join('\n')).not.toContain(SECRET);
  });

  it('answers 404 for a connection that is not a hubspot one with webhooks, 400 for a signed body that is not events', async () => {
    expect(await deliver('/webhooks/hubspot/files', [event(1)])).toBe(404);
    expect(await deliver('/webhooks/hubspot/nope', [event(1)])).toBe(404);
    expect(await deliver('/webhooks/hubspot/hub', [])).toBe(400);
    expect(await queued()).toEqual([]);
  });

  it("makes one run of a burst of 1,000 events from the HubSpot sandbox's signed deliveries", async () => {
    let sandbox: HubspotSandbox | undefined;
    try {
      sandbox = await buildHubspotSandbox({
        token: 'pat-na1-x',
        webhook: { url: `${server.url}/webhooks/hubspot/hub`, clientSecret: SECRET, batchMs: 50 },
      });
      for (let i = 0; i < 1000; i++) sandbox.store.create({ email: `burst${i}@x.io` });
      await sandbox.settleWebhooks();
      expect(sandbox.webhookStats()).toMatchObject({ events: 1000, outcomes: { '200': 10 } });
      expect(await queued()).toEqual([expect.objectContaining({ connection: 'hub', trigger: 'notify' })]);
    } finally {
      await sandbox?.close();
    }
  });
});

describe('verifyHubspotSignature', () => {
  const body = '[{"objectId":1}]';
  const at = 1_800_000_000_000;
  const sig = (uri: string, secret = SECRET) =>
    createHmac('sha256', secret).update(`POST${uri}${body}${at}`).digest('base64');

  it('signs the URL with the characters HubSpot decodes decoded, and compares whole signatures', () => {
    const signed = { method: 'POST', rawBody: body, timestamp: String(at) };
    const decoded = 'https://sync.example.com/webhooks/hubspot/hub?a=b:c';
    const encoded = 'https://sync.example.com/webhooks/hubspot/hub?a=b%3Ac';
    expect(verifyHubspotSignature({ ...signed, url: encoded, signature: sig(decoded) }, SECRET, at)).toBe(
      'ok',
    );
    expect(
      verifyHubspotSignature({ ...signed, url: encoded, signature: sig(decoded).slice(0, -4) }, SECRET, at),
    ).toBe('forged');
    expect(
      verifyHubspotSignature({ ...signed, url: encoded, signature: sig(decoded, 'other') }, SECRET, at),
    ).toBe('forged');
    expect(
      verifyHubspotSignature({ ...signed, url: encoded, signature: sig(decoded) }, SECRET, at + 300_001),
    ).toBe('stale');
    expect(
      verifyHubspotSignature({ ...signed, url: encoded, signature: sig(decoded) }, SECRET, at + 300_000),
    ).toBe('ok');
    expect(
      verifyHubspotSignature(
        { ...signed, url: encoded, signature: sig(decoded), timestamp: undefined },
        SECRET,
        at,
      ),
    ).toBe('forged');
  });
});
