import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSahutClient,
  type RequestEvent,
  type SahutClient,
  SahutRequestError,
  SahutResponseError,
} from '../src/sahut/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';

const KEY = 'sk_test_client_c0ffee';

let sandbox: Sandbox;
let baseUrl: string;
let client: SahutClient;
let events: RequestEvent[];

beforeEach(async () => {
  ({ sandbox, baseUrl } = await startSandbox({ apiKey: KEY }));
  events = [];
  client = createSahutClient({
    baseUrl,
    apiKey: KEY,
    retry: { minDelayMs: 1, maxDelayMs: 5 },
    onRequest: (e) => events.push(e),
  });
});
afterEach(async () => {
  await client.close();
  await sandbox.close();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('sahut client: iterate', () => {
  it.each([0, 1, 100, 101, 2_537])('returns each of %i contacts exactly once, in order', async (n) => {
    const seeded = sandbox.seed(Array.from({ length: n }, (_, i) => ({ name: `Person ${i}` })));
    const seen = await collect(client.iterate());
    expect(seen.map((c) => c.id)).toEqual(seeded.map((c) => c.id));
    expect(sandbox.counts()['GET /contacts'] ?? 0).toBe(Math.max(1, Math.ceil(n / 100)));
  });

  it('pages with the given perPage and filters', async () => {
    sandbox.seed(Array.from({ length: 25 }, (_, i) => ({ name: `P${i}`, tags: i % 2 ? ['odd'] : [] })));
    const odd = await collect(client.iterate({ tag: 'odd', perPage: 5 }));
    expect(odd.map((c) => c.name)).toEqual([
      'P1',
      'P3',
      'P5',
      'P7',
      'P9',
      'P11',
      'P13',
      'P15',
      'P17',
      'P19',
      'P21',
      'P23',
    ]);
    expect(sandbox.counts()['GET /contacts']).toBe(3);
  });

  it('lets the caller stop early without fetching further pages', async () => {
    sandbox.seed(Array.from({ length: 300 }, (_, i) => ({ name: `P${i}` })));
    for await (const c of client.iterate()) if (c.name === 'P5') break;
    expect(sandbox.counts()['GET /contacts']).toBe(1);
  });
});

describe('sahut client: calls', () => {
  it('creates, gets, updates and lists over HTTP', async () => {
    const created = await client.create({
      name: 'Siti Rahma',
      phone: '+628987654321',
      tags: ['prospect'],
      custom_attributes: { customer_tier: 'silver' },
    });
    expect(created).toEqual(sandbox.contacts()[0]);
    expect(await client.get(created.id)).toEqual(created);
    const updated = await client.update(created.id, { company: 'PT Baru', tags: ['vip'] });
    expect(updated).toEqual({ ...created, company: 'PT Baru', tags: ['vip'] });
    const page = await client.list({ perPage: 10 });
    expect(page).toEqual({ data: [updated], meta: { total: 1, page: 1, per_page: 10, total_pages: 1 } });
  });

  it('answers null for an unknown id on get, and SahutRequestError 404 on update', async () => {
    expect(await client.get('ct_0000000000000Z')).toBeNull();
    const err = await client.update('ct_0000000000000Z', { company: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SahutRequestError);
    expect(err).toMatchObject({ status: 404, permanent: true, route: 'PUT /contacts/:id' });
    expect(sandbox.counts()['PUT /contacts/:id']).toBe(1);
  });

  it('percent-encodes + in q, so a phone search finds the contact', async () => {
    sandbox.seed([
      { name: 'Budi', phone: '+628123456789' },
      { name: 'Other', phone: '+6531234567' },
    ]);
    const page = await client.list({ q: '+628123456789' });
    expect(page.data.map((c) => c.name)).toEqual(['Budi']);
    expect((await client.list({ q: 'a&b=c d' })).data).toEqual([]);
  });

  it('encodes odd ids in the path', async () => {
    expect(await client.get('ct_../../x?y=1')).toBeNull();
    expect(sandbox.counts()).toEqual({ 'GET /contacts/:id': 1 });
  });

  it('rejects a 422 at once, with status and body, without retrying', async () => {
    const err = await client.create({ name: 'Budi', phone: '0812-345' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SahutRequestError);
    expect((err as SahutRequestError).status).toBe(422);
    expect(JSON.parse((err as SahutRequestError).body).error.field).toBe('phone');
    expect(sandbox.counts()['POST /contacts']).toBe(1);
  });

  it('reports one event per exchange with the route template, and only the headers about the server', async () => {
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    await client.get(c!.id);
    await client.list({});
    const common = { method: 'GET', status: 200, durationMs: expect.any(Number), attempt: 1 };
    // The sandbox sends no rate-limit headers; its Date header is kept, its content-type and the rest are not.
    const headers = { date: expect.stringMatching(/ GMT$/) };
    expect(events).toEqual([
      { ...common, route: 'GET /contacts/:id', headers },
      { ...common, route: 'GET /contacts', headers },
    ]);
  });

  it('defaults custom_attributes to {} when a list omits them', async () => {
    const lean = await startSandbox({ apiKey: KEY, listWithoutCustomAttributes: true });
    const leanClient = createSahutClient({ baseUrl: lean.baseUrl, apiKey: KEY });
    try {
      lean.sandbox.seed([{ name: 'Budi', custom_attributes: { tier: 'gold' } }]);
      const [c] = (await leanClient.list({})).data;
      expect(c?.custom_attributes).toEqual({});
      expect(c?.name).toBe('Budi');
    } finally {
      await leanClient.close();
      await lean.sandbox.close();
    }
  });

  it('passes the signal on: an aborted call rejects with its reason', async () => {
    sandbox.setFaults({ latencyMs: 2_000 });
    const controller = new AbortController();
    const pending = client.list({}, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    await expect(pending).rejects.toThrow('shutting down');
  });
});

describe('sahut client: response validation', () => {
  let server: Server;
  let body: unknown;
  let url: string;

  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const contact = { id: 'ct_01HX3C0L4N6P8Q', name: 'Budi', created_at: '2024-01-10T10:00:00Z' };
  const against = async <T>(fn: (c: SahutClient) => Promise<T>): Promise<T> => {
    const c = createSahutClient({ baseUrl: url, apiKey: KEY, retry: { minDelayMs: 1, maxDelayMs: 2 } });
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  };

  it('names the missing field and does not retry', async () => {
    body = {
      data: [{ ...contact, id: undefined }],
      meta: { total: 1, page: 1, per_page: 25, total_pages: 1 },
    };
    const err = await against((c) => c.list({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SahutResponseError);
    expect((err as SahutResponseError).detail).toMatch(/^data\[0\]\.id: /);
    expect((err as SahutResponseError).route).toBe('GET /contacts');
  });

  it('rejects a missing meta, a non-JSON body and a wrong type', async () => {
    body = { data: [] };
    expect(await against((c) => c.list({})).catch((e: SahutResponseError) => e.detail)).toMatch(/^meta: /);
    body = '<html>oops</html>';
    expect(await against((c) => c.get('x')).catch((e: SahutResponseError) => e.detail)).toMatch(/not JSON/);
    body = { data: { ...contact, tags: 'vip' } };
    expect(await against((c) => c.create({ name: 'B' })).catch((e: SahutResponseError) => e.detail)).toMatch(
      /^data\.tags: /,
    );
  });

  it('tolerates extra fields and missing optional ones, dropping the extras', async () => {
    body = { data: { ...contact, avatar_url: 'https://x/y.png', email: null }, extra: true };
    expect(await against((c) => c.get(contact.id))).toEqual({
      ...contact,
      phone: null,
      email: null,
      company: null,
      tags: [],
      custom_attributes: {},
    });
  });
});
