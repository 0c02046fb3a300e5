import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHubspotSandbox, CONTACTS, type HubspotSandbox } from '../src/hubspot-sandbox/index.ts';

const TOKEN = 'pat-na1-sandbox-test-7d1e';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let sandbox: HubspotSandbox;
let baseUrl: string;

async function start(opts: Partial<Parameters<typeof buildHubspotSandbox>[0]> = {}) {
  sandbox = await buildHubspotSandbox({ token: TOKEN, customProperties: ['tags'], ...opts });
  baseUrl = await sandbox.listen();
}
beforeEach(() => start());
afterEach(() => sandbox.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}
const search = (body: unknown) => call('POST', `${CONTACTS}/search`, body);

describe('hubspot sandbox: contacts', () => {
  it('answers the codes the official client expects: 201 create, 200 get/patch, 204 archive, 404 after', async () => {
    const created = await call('POST', CONTACTS, {
      properties: { email: 'Ana@Example.com', phone: '0812-3456-789' },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(id).toMatch(/^\d+$/);
    const got = await call(
      'GET',
      `${CONTACTS}/${id}?properties=email,phone&properties=hs_calculated_phone_number,hs_searchable_calculated_phone_number`,
    );
    expect(got.status).toBe(200);
    expect(got.json.properties).toMatchObject({
      email: 'Ana@Example.com',
      hs_calculated_phone_number: '+628123456789',
      hs_searchable_calculated_phone_number: '8123456789',
    });
    expect(got.headers.get('x-hubspot-ratelimit-daily-remaining')).toMatch(/^\d+$/);
    expect((await call('PATCH', `${CONTACTS}/${id}`, { properties: { firstname: 'Ana' } })).status).toBe(200);
    expect((await call('DELETE', `${CONTACTS}/${id}`)).status).toBe(204);
    expect((await call('GET', `${CONTACTS}/${id}`)).json.category).toBe('OBJECT_NOT_FOUND');
    const archived = await call('GET', `${CONTACTS}?archived=true&properties=email`);
    expect(archived.json.results.map((r: { id: string }) => r.id)).toEqual([id]);
    expect(archived.json.results[0].archivedAt).toEqual(expect.any(String));
  });

  it('refuses a second contact with the same email (409 with the existing id), unknown and read-only properties (400)', async () => {
    const first = await call('POST', CONTACTS, { properties: { email: 'x@example.com' } });
    const again = await call('POST', CONTACTS, { properties: { email: 'X@example.com' } });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe(`Contact already exists. Existing ID: ${first.json.id}`);
    expect((await call('POST', CONTACTS, { properties: { nope: '1' } })).status).toBe(400);
    expect((await call('POST', CONTACTS, { properties: { lastmodifieddate: '1' } })).status).toBe(400);
  });

  it('batch read answers 207 with OBJECT_NOT_FOUND for misses; batch create 201; batch update 200; > 100 inputs 400', async () => {
    const made = await call('POST', `${CONTACTS}/batch/create`, {
      inputs: [{ properties: { email: 'a@x.io' } }, { properties: { email: 'b@x.io' } }],
    });
    expect(made.status).toBe(201);
    const ids = made.json.results.map((r: { id: string }) => r.id);
    const read = await call('POST', `${CONTACTS}/batch/read`, {
      inputs: [...ids, '999999'].map((id) => ({ id })),
      properties: ['email'],
    });
    expect(read.status).toBe(207);
    expect(read.json.errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } });
    const updated = await call('POST', `${CONTACTS}/batch/update`, {
      inputs: ids.map((id: string) => ({ id, properties: { company: 'Acme' } })),
    });
    expect(updated.status).toBe(200);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: String(i) }));
    expect((await call('POST', `${CONTACTS}/batch/read`, { inputs: tooMany })).status).toBe(400);
  });

  it('lists with after paging in id order, merged and archived contacts left out; merge mints a new id old ids resolve to', async () => {
    sandbox.seed(Array.from({ length: 7 }, (_, i) => ({ properties: { email: `p${i}@x.io` } })));
    const all: string[] = [];
    for (let after: string | undefined, n = 0; n < 10; n++) {
      const page = await call('GET', `${CONTACTS}?limit=3${after ? `&after=${after}` : ''}`);
      all.push(...page.json.results.map((r: { id: string }) => r.id));
      after = page.json.paging?.next.after;
      if (!after) break;
    }
    expect(all).toHaveLength(7);
    const [a, b] = all as [string, string];
    const merged = await call('POST', `${CONTACTS}/merge`, { primaryObjectId: a, objectIdToMerge: b });
    expect(merged.json.id).not.toBe(a);
    const viaOld = await call('GET', `${CONTACTS}/${b}?properties=hs_merged_object_ids`);
    expect(viaOld.json.id).toBe(merged.json.id);
    expect(viaOld.json.properties.hs_merged_object_ids).toBe(`${a};${b}`);
    const listed = await call('GET', `${CONTACTS}?limit=100`);
    expect(listed.json.results.map((r: { id: string }) => r.id)).toEqual([...all.slice(2), merged.json.id]);
  });
});

describe('hubspot sandbox: search', () => {
  it('filters, sorts, pages by offset, and answers 400 past 10,000 results or beyond its limits', async () => {
    sandbox.seed(
      Array.from({ length: 30 }, (_, i) => ({
        properties: { email: `s${i}@x.io` },
        updatedAt: 1_700_000_000_000 + i * 1000,
      })),
    );
    const body = {
      filterGroups: [
        {
          filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(1_700_000_010_000) }],
        },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email'],
      limit: 15,
    };
    const first = await search(body);
    expect(first.json.total).toBe(20);
    expect(first.json.results[0].properties.email).toBe('s10@x.io');
    expect(first.json.paging.next.after).toBe('15');
    const second = await search({ ...body, after: '15' });
    expect(second.json.results).toHaveLength(5);
    expect(second.json.paging).toBeUndefined();
    expect((await search({ ...body, after: '9990', limit: 11 })).status).toBe(400);
    expect((await search({ ...body, limit: 201 })).status).toBe(400);
    expect((await search({ ...body, sorts: ['email', 'createdate'] })).status).toBe(400);
  });

  it('does not see a write until the index lag has passed; get does', async () => {
    sandbox.setIndexLag(400);
    const created = await call('POST', CONTACTS, { properties: { email: 'lag@x.io' } });
    const find = {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'LAG@x.io' }] }],
    };
    expect((await search(find)).json.total).toBe(0);
    expect((await call('GET', `${CONTACTS}/${created.json.id}`)).status).toBe(200);
    const deadline = Date.now() + 3000;
    while ((await search(find)).json.total === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

describe('hubspot sandbox: limits and faults', () => {
  it("answers 429 TEN_SECONDLY_ROLLING past the burst, SECONDLY past 5 searches a second, DAILY at the day's end, with HubSpot's bodies", async () => {
    await sandbox.close();
    await start({ limits: { tenSecondly: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await call('GET', `${CONTACTS}?limit=1`));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[2]?.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    expect(statuses[3]?.json).toMatchObject({
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    });
    const searches = await Promise.all(Array.from({ length: 6 }, () => search({})));
    const limited = searches.filter((s) => s.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.json).toMatchObject({
      policyName: 'SECONDLY',
      message: 'You have reached your secondly limit.',
    });
    expect(searches.find((s) => s.status === 200)?.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
    expect(sandbox.limitCounters()).toMatchObject({ peakTenSecondly: 3, peakSearchSecondly: 5, daily: 8 });
    sandbox.setLimits({ daily: 0 });
    expect((await search({})).json).toMatchObject({
      policyName: 'DAILY',
      message: 'You have reached your daily limit.',
    });
  });

  it('answers a seeded share of requests 502, and a storm of 429s on demand', async () => {
    sandbox.setFaults({ errorShare: 0.5, seed: 7 });
    const codes = [];
    for (let i = 0; i < 20; i++) codes.push((await call('GET', `${CONTACTS}?limit=1`)).status);
    expect(codes.filter((c) => c === 502).length).toBeGreaterThan(3);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThan(3);
    sandbox.setFaults({});
    sandbox.storm(2);
    expect([
      (await call('GET', CONTACTS)).status,
      (await call('GET', CONTACTS)).status,
      (await call('GET', CONTACTS)).status,
    ]).toEqual([429, 429, 200]);
  });

  it('answers 401 without the token and 403 MISSING_SCOPES for a write without the write scope', async () => {
    expect((await call('GET', CONTACTS, undefined, { authorization: 'Bearer nope' })).json.category).toBe(
      'INVALID_AUTHENTICATION',
    );
    await sandbox.close();
    await start({ scopes: ['crm.objects.contacts.read'] });
    expect((await call('GET', CONTACTS)).status).toBe(200);
    const write = await call('POST', CONTACTS, { properties: { email: 'w@x.io' } });
    expect(write.status).toBe(403);
    expect(write.json.category).toBe('MISSING_SCOPES');
    const info = await call('POST', '/oauth/v2/private-apps/get/access-token-info', { tokenKey: TOKEN });
    expect(info.json.scopes).toEqual(['crm.objects.contacts.read']);
  });
});

describe('hubspot sandbox: webhooks', () => {
  it('POSTs batched events signed with v3 (base64 HMAC-SHA256 of method + URL + body + timestamp)', async () => {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      sandbox.setWebhook({ url, clientSecret: 'app-secret', batchMs: 20 });
      for (let i = 0; i < 150; i++) sandbox.store.create({ email: `w${i}@x.io` });
      await sandbox.settleWebhooks();
      const events = received.flatMap((r) => JSON.parse(r.body));
      expect(events).toHaveLength(150);
      expect(received.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...received.map((r) => JSON.parse(r.body).length))).toBeLessThanOrEqual(100);
      expect(events[0]).toMatchObject({
        subscriptionType: 'contact.creation',
        attemptNumber: 0,
        objectId: expect.any(Number),
      });
      for (const r of received) {
        const ts = String(r.headers['x-hubspot-request-timestamp']);
        const expected = createHmac('sha256', 'app-secret')
          .update(`POST${url}${r.body}${ts}`)
          .digest('base64');
        expect(r.headers['x-hubspot-signature-v3']).toBe(expected);
      }
    } finally {
      server.close();
    }
  });
});
