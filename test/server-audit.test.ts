import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRow, Run } from '../src/store/index.ts';
import { basic, closedStore, createHarness, type Harness } from './server-fixtures.ts';

let harness: Harness;
let url: string;
const SEEDED = 1_050;
const ACTIONS = ['created', 'updated', 'unchanged', 'failed'] as const;
const PHONE = '+6281234567789';

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  runId: i % 2 ? 'run-a' : 'run-b',
  jobId: `job-${i}`,
  connection: 'main',
  direction: 'crm-to-sahut',
  crmId: `crm-${i % 50}`,
  sahutId: `sh-${i % 50}`,
  action: ACTIONS[i % ACTIONS.length] ?? 'created',
  diff: { name: { before: `old ${i}`, after: `new ${i}` } },
  error: null,
  attempt: 1,
  ...over,
});

beforeAll(async () => {
  harness = await createHarness();
  url = (await harness.start()).url;
  const { store } = harness;
  await store.startRun({ id: 'run-a', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
  await store.startRun({ id: 'run-b', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
  await store.finishRun('run-a', 'succeeded');
  for (let start = 0; start < SEEDED; start += 100) {
    const size = Math.min(100, SEEDED - start);
    await store.appendAudit(Array.from({ length: size }, (_, k) => entry(start + k)));
  }
  // One linked record with a long history in both directions: 60 rows by CRM id, 15 by Sahut id only.
  await store.upsertLink({
    connection: 'main',
    crmId: 'crm-x',
    sahutId: 'sh-x',
    phone: PHONE,
    email: 'budi@example.com',
    base: { name: 'Budi', phone: PHONE, email: 'budi@example.com' },
    crmHash: 'h1',
    sahutHash: 'h2',
    syncedAt: new Date(),
  });
  for (let i = 0; i < 75; i++) {
    const bySahut = i % 5 === 0;
    await store.appendAudit([
      entry(i, {
        runId: 'run-x',
        crmId: bySahut ? null : 'crm-x',
        sahutId: 'sh-x',
        direction: bySahut ? 'sahut-to-crm' : 'crm-to-sahut',
        error: i === 74 ? '<img src=x onerror=alert(1)> rejected' : null,
      }),
    ]);
  }
});
afterAll(async () => {
  await harness?.close();
});

const get = async (path: string) => {
  const res = await fetch(url + path, { headers: { authorization: basic() } });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
};

async function allAuditPages(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`/api/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, res.text).toBe(200);
    const body = res.json() as { rows: AuditRow[]; next_cursor: string | null };
    ids.push(...body.rows.map((r) => r.id));
    cursor = body.next_cursor;
    pages++;
  } while (cursor !== null && pages < 1_000);
  return { ids, pages };
}

const descending = (ids: string[]) => ids.every((id, i) => i === 0 || BigInt(ids[i - 1] ?? '0') > BigInt(id));

describe('audit JSON API', () => {
  it('pages through more than 1,000 rows without gaps or repeats', async () => {
    const { ids, pages } = await allAuditPages('connection=main', 100);
    expect(ids).toHaveLength(SEEDED + 75);
    expect(new Set(ids).size).toBe(ids.length);
    expect(descending(ids)).toBe(true);
    expect(pages).toBe(Math.ceil((SEEDED + 75) / 100));
  });

  it('filters by CRM id, Sahut id, run, action and time', async () => {
    const byCrm = await allAuditPages('crm_id=crm-3', 7);
    expect(byCrm.ids).toHaveLength(SEEDED / 50);
    const page = (await get('/api/audit?crm_id=crm-3&limit=1000')).json() as { rows: AuditRow[] };
    expect(page.rows.every((r) => r.crmId === 'crm-3')).toBe(true);
    expect(page.rows[0]).toMatchObject({
      connection: 'main',
      diff: { name: { before: expect.any(String) } },
    });

    const bySahut = (await get('/api/audit?sahut_id=sh-x&limit=1000')).json() as { rows: AuditRow[] };
    expect(bySahut.rows).toHaveLength(75);
    const byRunAndAction = (await get('/api/audit?run=run-a&action=updated&limit=1000')).json() as {
      rows: AuditRow[];
    };
    expect(byRunAndAction.rows.length).toBeGreaterThan(0);
    expect(byRunAndAction.rows.every((r) => r.runId === 'run-a' && r.action === 'updated')).toBe(true);
    const future = (await get('/api/audit?since=2999-01-01&limit=10')).json() as { rows: AuditRow[] };
    expect(future.rows).toEqual([]);
    const past = (await get('/api/audit?until=2000-01-01T00:00:00Z&limit=10')).json() as { rows: AuditRow[] };
    expect(past.rows).toEqual([]);
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=1001', /limit/],
    ['limit=ten', /limit: expected a whole number/],
    ['action=erased', /action/],
    ['since=yesterday', /since: expected an ISO 8601 date/],
    ['cursor=abc', /cursor/],
    ['crm_id=a&crm_id=b', /crm_id: expected a single value/],
    ['colour=red', /unknown parameter colour/],
  ])('rejects %s with a 400 naming the parameter', async (query, message) => {
    const res = await get(`/api/audit?${query}`);
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body).toEqual({
      statusCode: 400,
      code: 'BAD_QUERY',
      error: 'Bad Request',
      message: expect.any(String),
    });
    expect(body.message).toMatch(message);
  });

  it('lists runs with their counts and reads one run', async () => {
    const { runs } = (await get('/api/runs?limit=10')).json() as { runs: Run[] };
    expect(runs.map((r) => r.id).sort()).toEqual(['run-a', 'run-b']);
    const a = runs.find((r) => r.id === 'run-a');
    expect(a?.status).toBe('succeeded');
    expect(Object.values(a?.counts ?? {}).reduce((n, c) => n + (c ?? 0), 0)).toBe(50 / 2);
    expect(((await get('/api/runs?limit=1')).json().runs as Run[]).length).toBe(1);
    expect(((await get('/api/runs?connection=other')).json().runs as Run[]).length).toBe(0);

    const one = await get('/api/runs/run-a');
    expect(one.status).toBe(200);
    expect(one.json()).toMatchObject({ id: 'run-a', connection: 'main', status: 'succeeded' });
    const missing = await get('/api/runs/run-nope');
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({
      statusCode: 404,
      code: 'RUN_NOT_FOUND',
      error: 'Not Found',
      message: 'No run with this id',
    });
    expect((await get('/api/runs?limit=0')).status).toBe(400);
  });

  it('answers a store failure with a bare 500 and logs it at error', async () => {
    const broken = await closedStore();
    try {
      const logsBefore = harness.logs.length;
      const server = await harness.start({ store: broken.store });
      const res = await fetch(`${server.url}/api/runs`, { headers: { authorization: basic() } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        statusCode: 500,
        code: 'INTERNAL',
        error: 'Internal Server Error',
        message: 'Internal server error',
      });
      const lines = harness.logs
        .slice(logsBefore)
        .map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['request failed']);
      await server.close();
    } finally {
      await broken.cleanup();
    }
  });
});

const rowCount = (page: string) => (page.match(/data-audit-id="/g) ?? []).length;
const olderHref = (page: string) =>
  /<a id="older" rel="next" href="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');

describe('audit pages', () => {
  it.each([
    ['the phone as typed', '0812-3456-7789'],
    ['the phone in E.164', PHONE],
    ['the email in capitals', 'BUDI@example.com'],
    ['the CRM id', 'crm-x'],
    ['the Sahut id', 'sh-x'],
  ])("finds a record's whole history by %s, newest first, paged without gaps", async (_what, q) => {
    const ids: string[] = [];
    let path: string | undefined = `/audit?q=${encodeURIComponent(q)}`;
    let pages = 0;
    while (path && pages < 10) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.text).toContain('data-testid="history-table"');
      expect(res.text).toContain('href="/admin/queues"');
      ids.push(...[...res.text.matchAll(/data-audit-id="(\d+)"/g)].map((m) => m[1] ?? ''));
      path = olderHref(res.text);
      pages++;
    }
    expect(ids).toHaveLength(75);
    expect(new Set(ids).size).toBe(75);
    expect(descending(ids)).toBe(true);
    expect(pages).toBe(2);
  });

  it('escapes every value it renders', async () => {
    const page = (await get('/audit?q=crm-x')).text;
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; rejected');
    expect(page).not.toContain('<img src=x');
    const echoed = (await get(`/audit?q=${encodeURIComponent('"><script>alert(1)</script>')}`)).text;
    expect(echoed).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(echoed).not.toContain('<script>');
  });

  it('shows nothing for an unknown record and a form when empty', async () => {
    const unknown = await get('/audit?q=nobody%40example.com');
    expect(unknown.status).toBe(200);
    expect(rowCount(unknown.text)).toBe(0);
    expect(unknown.text).toContain('No audit rows.');
    const empty = await get('/audit');
    expect(empty.text).toContain('<form method="get" action="/audit"');
    const bad = await get('/audit?cursor=x');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<p class="error">Invalid query: cursor/);
  });

  it('lists runs, each linking to its rows', async () => {
    const runs = await get('/runs');
    expect(runs.text).toContain('data-testid="runs-table"');
    expect(runs.text).toContain('href="/audit?run=run-a"');
    const rows = await get('/audit?run=run-a');
    expect(rows.status).toBe(200);
    expect(rowCount(rows.text)).toBe(50);
    expect(rows.text).toContain('main · crm-to-sahut · succeeded');
    const all: string[] = [];
    let path: string | undefined = '/audit?run=run-a';
    while (path) {
      const res = await get(path);
      all.push(...[...res.text.matchAll(/data-audit-id="(\d+)"/g)].map((m) => m[1] ?? ''));
      path = olderHref(res.text);
    }
    expect(all).toHaveLength(SEEDED / 2);
    expect(new Set(all).size).toBe(SEEDED / 2);
  });
});
