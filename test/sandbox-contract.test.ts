import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTACT_ID_PATTERN, type Sandbox, startSandbox } from '../src/sandbox/index.ts';

const KEY = 'sk_test_contract_5b1f0c';
const AUTH = { authorization: `Bearer ${KEY}` };

let sandbox: Sandbox;
let baseUrl: string;

beforeEach(async () => {
  ({ sandbox, baseUrl } = await startSandbox({ apiKey: KEY }));
});
afterEach(async () => {
  await sandbox.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}
const create = async (body: Record<string, unknown>) => (await call('POST', '/contacts', body)).json.data;
const names = (res: { json: { data: { name: string }[] } }) => res.json.data.map((c) => c.name);

describe('sandbox: auth', () => {
  it('answers 401 JSON without a key and with a wrong one, never echoing what was sent', async () => {
    const none = await call('GET', '/contacts', undefined, {});
    const wrong = await call('GET', '/contacts', undefined, { authorization: 'Bearer sk_wrong_guess' });
    const basic = await call('GET', '/contacts', undefined, { authorization: `Basic ${KEY}` });
    for (const res of [none, wrong, basic]) {
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    expect(wrong.text).not.toContain('sk_wrong_guess');
    expect((await call('GET', '/contacts')).status).toBe(200);
  });
});

describe('sandbox: create and get', () => {
  it('creates with every field filled in, ids in the documented shape and second-precision UTC times', async () => {
    const res = await call('POST', '/contacts', {
      name: 'Siti Rahma',
      phone: '+628987654321',
      tags: ['prospect'],
    });
    expect(res.status).toBe(201);
    const contact = res.json.data;
    expect(contact).toEqual({
      id: expect.stringMatching(CONTACT_ID_PATTERN),
      name: 'Siti Rahma',
      phone: '+628987654321',
      email: null,
      company: null,
      tags: ['prospect'],
      custom_attributes: {},
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(contact.id).toMatch(/^ct_[0-9A-HJKMNP-TV-Z]{14}$/);
    expect((await call('GET', `/contacts/${contact.id}`)).json).toEqual({ data: contact });
  });

  it('gives every contact its own id', async () => {
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => create({ name: `c${i}` })));
    expect(new Set(created.map((c) => c.id)).size).toBe(50);
    const seeded = sandbox.seed(Array.from({ length: 2000 }, (_, i) => ({ name: `s${i}` })));
    expect(new Set([...created, ...seeded].map((c) => c.id)).size).toBe(2050);
    for (const c of seeded) expect(c.id).toMatch(CONTACT_ID_PATTERN);
  });

  it('answers 404 JSON for an unknown id, on GET and on PUT', async () => {
    const get = await call('GET', '/contacts/ct_0000000000000Z');
    const put = await call('PUT', '/contacts/ct_0000000000000Z', { name: 'x' });
    for (const res of [get, put]) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
  });

  it.each([
    [{}, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 42 }, 'name'],
    [{ name: 'A', phone: '08123456789' }, 'phone'],
    [{ name: 'A', phone: '+0123456789' }, 'phone'],
    [{ name: 'A', phone: '+1234' }, 'phone'],
    [{ name: 'A', email: 'not-an-email' }, 'email'],
    [{ name: 'A', email: 'a@b' }, 'email'],
    [{ name: 'A', company: 7 }, 'company'],
    [{ name: 'A', tags: 'vip' }, 'tags'],
    [{ name: 'A', tags: ['vip', 3] }, 'tags.1'],
    [{ name: 'A', custom_attributes: ['x'] }, 'custom_attributes'],
    [{ name: 'A', custom_attributes: { tier: { nested: true } } }, 'custom_attributes.tier'],
  ])('POST %j → 422 naming %s', async (body, field) => {
    const res = await call('POST', '/contacts', body);
    expect(res.status).toBe(422);
    expect(res.json).toEqual({ error: { code: 'validation_failed', field, message: expect.any(String) } });
    expect(sandbox.contacts()).toHaveLength(0);
  });

  it('rejects a body that is not an object', async () => {
    const res = await call('POST', '/contacts', ['Budi']);
    expect(res.status).toBe(422);
    expect(res.json.error.field).toBe('body');
  });
});

describe('sandbox: update', () => {
  it('changes only the fields sent: tags replace, custom attributes merge per key', async () => {
    const before = await create({
      name: 'Budi',
      email: 'budi@example.com',
      tags: ['vip', 'reseller'],
      custom_attributes: { tier: 'silver', city: 'Bandung' },
    });
    const res = await call('PUT', `/contacts/${before.id}`, {
      company: 'PT Baru Indonesia',
      tags: ['platinum'],
      custom_attributes: { tier: 'gold', score: 9 },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({
      ...before,
      company: 'PT Baru Indonesia',
      tags: ['platinum'],
      custom_attributes: { tier: 'gold', city: 'Bandung', score: 9 },
    });
    expect(sandbox.contacts()).toEqual([res.json.data]);
  });

  it('clears a field sent as null and validates the fields present', async () => {
    const c = await create({ name: 'Budi', phone: '+628123456789' });
    expect((await call('PUT', `/contacts/${c.id}`, { phone: null })).json.data.phone).toBeNull();
    const bad = await call('PUT', `/contacts/${c.id}`, { email: 'nope' });
    expect(bad.status).toBe(422);
    expect(bad.json.error.field).toBe('email');
    expect((await call('PUT', `/contacts/${c.id}`, { name: '' })).json.error.field).toBe('name');
    expect(sandbox.contacts()[0]?.name).toBe('Budi');
  });
});

describe('sandbox: list', () => {
  it('pages in creation order with meta exactly {total, page, per_page, total_pages}', async () => {
    sandbox.seed(Array.from({ length: 30 }, (_, i) => ({ name: `n${String(i).padStart(2, '0')}` })));
    const first = await call('GET', '/contacts');
    expect(first.json.meta).toStrictEqual({ total: 30, page: 1, per_page: 25, total_pages: 2 });
    expect(Object.keys(first.json)).toEqual(['data', 'meta']);
    const second = await call('GET', '/contacts?page=2');
    expect(names(second)).toEqual(['n25', 'n26', 'n27', 'n28', 'n29']);
    expect([...names(first), ...names(second)]).toEqual(sandbox.contacts().map((c) => c.name));
    const beyond = await call('GET', '/contacts?page=3');
    expect(beyond.json).toEqual({ data: [], meta: { total: 30, page: 3, per_page: 25, total_pages: 2 } });
  });

  it('clamps per_page to 100 and rejects non-positive or non-integer page/per_page', async () => {
    sandbox.seed(Array.from({ length: 150 }, (_, i) => ({ name: `n${i}` })));
    const big = await call('GET', '/contacts?per_page=500');
    expect(big.json.data).toHaveLength(100);
    expect(big.json.meta).toEqual({ total: 150, page: 1, per_page: 100, total_pages: 2 });
    for (const [query, field] of [
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['per_page=0', 'per_page'],
      ['per_page=ten', 'per_page'],
    ]) {
      const res = await call('GET', `/contacts?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
    }
  });

  it('answers total_pages 0 for an empty result', async () => {
    expect((await call('GET', '/contacts')).json).toEqual({
      data: [],
      meta: { total: 0, page: 1, per_page: 25, total_pages: 0 },
    });
  });

  it('matches q as a case-insensitive substring of name, phone or email', async () => {
    sandbox.seed([
      { name: 'Budi Santoso', phone: '+628123456789', email: 'budi@example.com' },
      { name: 'Siti Rahma', phone: '+628987654321', email: 'SITI@Example.com' },
      { name: 'Agus', phone: '+6531234567', email: null },
    ]);
    const q = async (value: string) =>
      names(await call('GET', `/contacts?${new URLSearchParams({ q: value })}`));
    expect(await q('budi')).toEqual(['Budi Santoso']);
    expect(await q('RAHMA')).toEqual(['Siti Rahma']);
    expect(await q('+6281')).toEqual(['Budi Santoso']);
    expect(await q('6281')).toEqual(['Budi Santoso']);
    expect(await q('+628123456789')).toEqual(['Budi Santoso']);
    expect(await q('siti@example')).toEqual(['Siti Rahma']);
    expect(await q('example.com')).toEqual(['Budi Santoso', 'Siti Rahma']);
    expect(await q('nobody')).toEqual([]);
    // A bare `+` in a query string is a space, as on any real server: clients must send %2B.
    expect(names(await call('GET', '/contacts?q=+628123456789'))).toEqual([]);
  });

  it('filters by tag, combines with q, and pages the filtered result', async () => {
    sandbox.seed(
      Array.from({ length: 12 }, (_, i) => ({
        name: `n${i}`,
        tags: i % 3 === 0 ? ['vip', 'x'] : ['prospect'],
      })),
    );
    const vip = await call('GET', '/contacts?tag=vip&per_page=2&page=2');
    expect(names(vip)).toEqual(['n6', 'n9']);
    expect(vip.json.meta).toEqual({ total: 4, page: 2, per_page: 2, total_pages: 2 });
    expect(names(await call('GET', '/contacts?tag=vip&q=N1'))).toEqual([]);
    expect(names(await call('GET', '/contacts?tag=prospect&q=n1'))).toEqual(['n1', 'n10', 'n11']);
    expect((await call('GET', '/contacts?tag=VIP')).json.meta.total).toBe(0);
  });

  it('can leave custom_attributes out of list items, like the contract example', async () => {
    const lean = await startSandbox({ apiKey: KEY, listWithoutCustomAttributes: true });
    try {
      lean.sandbox.seed([{ name: 'Budi', custom_attributes: { tier: 'gold' } }]);
      const res = await fetch(`${lean.baseUrl}/contacts`, { headers: AUTH });
      const [item] = ((await res.json()) as { data: Record<string, unknown>[] }).data;
      expect(item).not.toHaveProperty('custom_attributes');
      expect(item?.name).toBe('Budi');
    } finally {
      await lean.sandbox.close();
    }
  });

  it('pages through 10,000 contacts, filtered, without slowing down page by page', async () => {
    sandbox.seed(
      Array.from({ length: 10_000 }, (_, i) => ({ name: `Person ${i}`, email: `p${i}@example.com` })),
    );
    const started = performance.now();
    let seen = 0;
    for (let page = 1; page <= 100; page++) {
      const res = await call('GET', `/contacts?q=example.com&per_page=100&page=${page}`);
      seen += res.json.data.length;
    }
    expect(seen).toBe(10_000);
    // Generous bound (2 cores, CI): a quadratic store would take far longer than 10 s here.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('sandbox: counters and store access', () => {
  it('counts requests by route template and outcome, and resets', async () => {
    const c = await create({ name: 'Budi' });
    await call('GET', `/contacts/${c.id}`);
    await call('GET', '/contacts/ct_UNKNOWN');
    await call('GET', '/contacts');
    await call('PUT', `/contacts/${c.id}`, { company: 'X' });
    await call('GET', '/contacts', undefined, {});
    expect(sandbox.counts()).toEqual({
      'POST /contacts': 1,
      'GET /contacts/:id': 2,
      'GET /contacts': 2,
      'PUT /contacts/:id': 1,
    });
    expect(sandbox.statusCounts()).toEqual({
      'POST /contacts': { '201': 1 },
      'GET /contacts/:id': { '200': 1, '404': 1 },
      'GET /contacts': { '200': 1, '401': 1 },
      'PUT /contacts/:id': { '200': 1 },
    });
    sandbox.resetCounts();
    expect(sandbox.counts()).toEqual({});
    expect(sandbox.statusCounts()).toEqual({});
  });

  it('seeds with given or generated ids, refuses duplicates, and clears', async () => {
    const [a, b] = sandbox.seed([
      { id: 'ct_GIVEN00000001', name: 'A', tags: ['t'], created_at: '2024-01-10T10:00:00Z' },
      { name: 'B' },
    ]);
    expect(a).toEqual({
      id: 'ct_GIVEN00000001',
      name: 'A',
      phone: null,
      email: null,
      company: null,
      tags: ['t'],
      custom_attributes: {},
      created_at: '2024-01-10T10:00:00Z',
    });
    expect(b?.id).toMatch(CONTACT_ID_PATTERN);
    expect((await call('GET', '/contacts/ct_GIVEN00000001')).json.data).toEqual(a);
    expect(() => sandbox.seed([{ id: 'ct_GIVEN00000001', name: 'again' }])).toThrow(/duplicate/);
    sandbox.clear();
    expect(sandbox.contacts()).toEqual([]);
    expect((await call('GET', '/contacts')).json.meta.total).toBe(0);
  });

  it('returns copies: changing what contacts() returned does not change the store', async () => {
    await create({ name: 'Budi', tags: ['vip'] });
    const [copy] = sandbox.contacts();
    copy?.tags.push('hacked');
    expect(sandbox.contacts()[0]?.tags).toEqual(['vip']);
  });
});

describe('sandbox: data file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sahut-sandbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves on close and loads at start, ids and order intact', async () => {
    const dataFile = join(dir, 'contacts.json');
    const first = await startSandbox({ apiKey: KEY, dataFile });
    expect(first.sandbox.contacts()).toEqual([]);
    first.sandbox.seed([
      { name: 'A', tags: ['x'] },
      { name: 'B', custom_attributes: { n: 1, ok: true } },
    ]);
    const saved = first.sandbox.contacts();
    await first.sandbox.close();
    expect(JSON.parse(await readFile(dataFile, 'utf8')).contacts).toEqual(saved);

    const second = await startSandbox({ apiKey: KEY, dataFile });
    try {
      expect(second.sandbox.contacts()).toEqual(saved);
      const res = await fetch(`${second.baseUrl}/contacts/${saved[1]?.id}`, { headers: AUTH });
      expect(((await res.json()) as { data: unknown }).data).toEqual(saved[1]);
      second.sandbox.seed([{ name: 'C' }]);
      await second.sandbox.save();
      expect(JSON.parse(await readFile(dataFile, 'utf8')).contacts).toHaveLength(3);
    } finally {
      await second.sandbox.close();
    }
  });

  it('refuses a data file that does not match the expected shape', async () => {
    const dataFile = join(dir, 'broken.json');
    await writeFile(dataFile, JSON.stringify({ contacts: [{ name: 'no id' }] }));
    await expect(startSandbox({ apiKey: KEY, dataFile })).rejects.toThrow(/contacts\[0\]\.id|id/);
  });
});

describe('sandbox: test-only admin routes', () => {
  it('are off unless asked for: deleting or merging answers 404 no route', async () => {
    const a = await create({ name: 'A', phone: '+628111111111' });
    const del = await call('DELETE', `/_admin/contacts/${a.id}`);
    expect(del.status).toBe(404);
    expect(del.json.error.message).toMatch(/no route/);
    expect((await call('POST', '/_admin/merges', { survivor: a.id, absorbed: a.id })).status).toBe(404);
    expect((await call('GET', `/contacts/${a.id}`)).status).toBe(200);
  });

  it('with admin: delete makes GET answer 404 and drops the contact from lists and totals', async () => {
    const admin = await startSandbox({ apiKey: KEY, admin: true });
    try {
      const at = (path: string, method = 'GET', body?: unknown) =>
        fetch(`${admin.baseUrl}${path}`, {
          method,
          headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const [a, b] = admin.sandbox.seed([{ name: 'A' }, { name: 'B' }]);
      expect((await at(`/_admin/contacts/${a?.id}`, 'DELETE')).status).toBe(204);
      expect((await at(`/contacts/${a?.id}`)).status).toBe(404);
      expect((await at(`/_admin/contacts/${a?.id}`, 'DELETE')).status).toBe(404);
      const list = (await (await at('/contacts')).json()) as {
        data: { id: string }[];
        meta: { total: number };
      };
      expect(list.data.map((c) => c.id)).toEqual([b?.id]);
      expect(list.meta.total).toBe(1);
      // The sandbox's own request counters name the admin route like any other.
      expect(admin.sandbox.counts()['DELETE /_admin/contacts/:id']).toBe(2);
    } finally {
      await admin.sandbox.close();
    }
  });

  it('with admin: merge keeps the survivor id, fills its missing phone/email from the absorbed one', async () => {
    const admin = await startSandbox({ apiKey: KEY, admin: true });
    try {
      const [x, y] = admin.sandbox.seed([
        { name: 'Budi', phone: '+628123456789', email: 'budi@example.com', tags: ['vip'] },
        { name: 'Budi S.', email: 'budi.s@example.com', tags: ['reseller'] },
      ]);
      const res = await fetch(`${admin.baseUrl}/_admin/merges`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ survivor: y?.id, absorbed: x?.id }),
      });
      expect(res.status).toBe(200);
      expect(admin.sandbox.contacts()).toEqual([
        expect.objectContaining({
          id: y?.id,
          name: 'Budi S.',
          phone: '+628123456789',
          email: 'budi.s@example.com',
          tags: ['reseller', 'vip'],
        }),
      ]);
      const again = await fetch(`${admin.baseUrl}/_admin/merges`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ survivor: y?.id, absorbed: x?.id }),
      });
      expect(again.status).toBe(404);
      const bad = await fetch(`${admin.baseUrl}/_admin/merges`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ survivor: 1 }),
      });
      expect(bad.status).toBe(422);
    } finally {
      await admin.sandbox.close();
    }
  });
});
