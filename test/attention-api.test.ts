import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Connection } from '../src/config/index.ts';
import { createMemoryConnector, type MemoryConnector } from '../src/crm/index.ts';
import { createLogger } from '../src/log/index.ts';
import { createMetrics } from '../src/metrics/index.ts';
import { type ActionStatus, waitForAction } from '../src/queue/actions/index.ts';
import { enqueueRun, waitForRun } from '../src/queue/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { type HttpServer, startHttp } from '../src/server/index.ts';
import type { AttentionEntry, Store } from '../src/store/index.ts';
import { type Node, runOnce, startNode, testConnection } from './helpers/engine.ts';
import {
  API_KEY,
  deletePrefix,
  privateStore,
  REDIS_URL,
  type StoreKind,
  testConfig,
  uniqueName,
  until,
} from './helpers/env.ts';
import { basic, PASSWORD } from './server-fixtures.ts';

const PHONE_TWIN = '+628111111111';
const EMAIL_TWIN = 'two@example.com';

/** A webhook receiver that keeps every body it gets. */
async function receiver() {
  const bodies: { event: string; records: { kind: string; crm_id: string | null }[] }[] = [];
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    bodies.push(JSON.parse(text));
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => server.close(r)) };
}

describe.each<StoreKind>(['sqlite', 'postgres'])('the attention listing over HTTP (%s store)', (kind) => {
  let sandbox: Sandbox;
  let store: Store;
  let node: Node;
  let server: HttpServer;
  let readOnly: HttpServer;
  let masked: HttpServer;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let crm: MemoryConnector;
  let two: MemoryConnector;
  let twins: { phone: string; email: string };
  let shared: string[];
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const started = await startSandbox({ apiKey: API_KEY });
    sandbox = started.sandbox;
    const own = await privateStore(kind);
    store = own.store;
    hook = await receiver();
    const prefix = uniqueName('attention');
    const env = {
      ...own.env,
      SAHUT_BASE_URL: started.baseUrl,
      QUEUE_PREFIX: prefix,
      ALERT_WEBHOOK_URL: hook.url,
      DASHBOARD_PASSWORD: PASSWORD,
    };
    const config = testConfig(env);
    crm = createMemoryConnector([
      { id: 'amb', data: { name: 'Mixed', phone: '0811-1111-111', email: EMAIL_TWIN } },
      { id: 'amb2', data: { name: 'Shared', phone: '0813-3333-333' } },
      { id: 'bad', data: { name: 'Bad', phone: '12345' } },
      { id: 'fail', data: { name: 'Failing', phone: '0812-4444-444' } },
    ]);
    two = createMemoryConnector([{ id: 'k', data: { name: 'Kim', phone: '0815-5555-555', company: 'A' } }]);
    const connections: Connection[] = [
      testConnection('crm'),
      { ...testConnection('two'), directions: ['crm-to-sahut', 'sahut-to-crm'] },
    ];
    node = startNode(config, store, connections, (c) => (c.name === 'crm' ? crm : two));
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const serve = async (settings: Readonly<Config>) => {
      const http = await startHttp({
        config: settings,
        log: createLogger({ level: 'silent' }),
        store,
        metrics: createMetrics(),
        redis,
        dashboard: true,
        connections,
        port: 0,
        host: '127.0.0.1',
      });
      closers.unshift(() => http.close());
      return http;
    };
    server = await serve(config);
    readOnly = await serve(testConfig({ ...env, DASHBOARD_READ_ONLY: 'true' }));
    masked = await serve(testConfig({ ...env, DASHBOARD_REDACT_PII: 'true' }));
    closers.push(
      () => node.close(),
      async () => redis.disconnect(),
      () => sandbox.close(),
      () => own.dispose(),
      () => deletePrefix(prefix),
      () => hook.close(),
    );

    const seeded = sandbox.seed([
      { name: 'Phone Twin', phone: PHONE_TWIN },
      { name: 'Email Twin', email: EMAIL_TWIN },
      { name: 'Shared A', phone: '+628133333333' },
      { name: 'Shared B', phone: '+628133333333' },
    ]);
    twins = { phone: seeded[0]!.id, email: seeded[1]!.id };
    shared = [seeded[2]!.id, seeded[3]!.id].sort();
    // The only record to create gets a 422: failed for good.
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [422] }] });
    const run = await runOnce(node, 'crm');
    // A run that matches against a scan of Sahut also reports the two contacts sharing a phone.
    expect(run.counts).toMatchObject({ ambiguous: 2, rejected: 1, failed: 1 });
  });

  afterAll(async () => {
    for (const close of closers) await close();
  });

  const call = async (base: HttpServer, path: string, init: RequestInit = {}) => {
    const res = await fetch(base.url + path, {
      ...init,
      headers: { authorization: basic(), 'content-type': 'application/json', ...init.headers },
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  const everything = async (query = 'connection=crm') =>
    (await call(server, `/api/attention?${query}`)).json().entries as AttentionEntry[];
  /** The records listed (pairs of Sahut contacts a scan may report are checked on their own). */
  const listing = async (query = 'connection=crm') =>
    (await everything(query)).filter((e) => e.kind !== 'duplicate-suspected');
  const post = (body: unknown, base = server, headers: Record<string, string> = {}) =>
    call(base, '/api/attention/actions', { method: 'POST', body: JSON.stringify(body), headers });

  /** Posts an action, waits for the worker and for the run it started; returns the action's status. */
  async function act(body: Record<string, string>): Promise<ActionStatus> {
    const res = await post(body);
    expect(res.status, res.text).toBe(202);
    const { action_id } = res.json();
    const status = await waitForAction(node.rt, action_id);
    expect(status?.state, status?.error ?? '').toBe('completed');
    const { runId, runJobId } = status?.result ?? {};
    if (runId && runJobId) {
      const job = await node.rt.queues.runs.getJob(runJobId);
      if (job) await waitForRun(node.rt, job, runId);
    }
    expect((await call(server, `/api/attention/actions/${action_id}`)).json().state).toBe('completed');
    return status as ActionStatus;
  }
  const decidedRow = async (crmId: string) =>
    (await store.queryAudit({ crmId, action: 'decided', limit: 1 })).rows[0];

  it('lists each kind with what a person needs, and alerts once per batch of new entries', async () => {
    const entries = await listing();
    expect(entries.map((e) => `${e.id}:${e.kind}`).sort()).toEqual([
      'amb2:ambiguous',
      'amb:ambiguous',
      'bad:rejected',
      'fail:failed',
    ]);
    const amb = entries.find((e) => e.id === 'amb');
    expect(amb?.detail).toMatchObject({
      candidates: [twins.phone, twins.email].sort(),
      crm: { phone: PHONE_TWIN, email: EMAIL_TWIN },
      contacts: expect.arrayContaining([expect.objectContaining({ id: twins.phone, phone: PHONE_TWIN })]),
    });
    expect(entries.find((e) => e.id === 'bad')?.error).toMatch(/invalid phone "12345"/);
    expect(entries.find((e) => e.id === 'fail')).toMatchObject({
      error: expect.stringMatching(/422/),
      attempt: 1,
    });

    const notified = () =>
      hook.bodies
        .flatMap((b) => b.records.map((r) => `${r.crm_id}:${r.kind}`))
        .filter((r) => !r.endsWith(':duplicate-suspected'))
        .sort();
    await until(() => notified().length >= 4, 10_000, 'the webhook notifications');
    expect(notified()).toEqual(['amb2:ambiguous', 'amb:ambiguous', 'bad:rejected', 'fail:failed']);
    expect(hook.bodies.every((b) => b.event === 'attention.added')).toBe(true);
    for (const pair of (await everything()).filter((e) => e.kind === 'duplicate-suspected'))
      expect(pair.id).toBe(`pair:${shared.join(':')}`);
  });

  it('shows sync health per connection and direction, and samples the attention gauge', async () => {
    const { connections } = (await call(server, '/api/sync-health')).json();
    expect(
      connections.map((h: { connection: string; direction: string }) => `${h.connection} ${h.direction}`),
    ).toEqual(['crm crm-to-sahut', 'two crm-to-sahut', 'two sahut-to-crm']);
    expect(connections[0]).toMatchObject({
      lastSuccess: { id: expect.stringMatching(/^run-/) },
      linked: 0,
      attention: expect.objectContaining({ ambiguous: 2, rejected: 1, failed: 1 }),
      nextRun: null,
      inFlight: null,
    });
    expect(connections[1]).toMatchObject({ lastSuccess: null, lastRun: null, attention: {} });
    const home = await call(server, '/');
    expect(home.text).toContain('data-testid="health-table"');
    expect(home.text).toMatch(
      /href="\/attention\?connection=crm&amp;kind=ambiguous&amp;direction=crm-to-sahut">ambiguous 2/,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('sahut_sync_attention_records{connection="crm",kind="ambiguous"} 2');
    expect(metrics).toContain('sahut_sync_attention_records{connection="crm",kind="conflict"} 0');
  });

  it('refuses what cannot be done, before queueing anything', async () => {
    const link = { connection: 'crm', id: 'amb', action: 'link', candidate: twins.email };
    const refusals: [Awaited<ReturnType<typeof post>>, number, string][] = [
      [await post(link, readOnly), 405, 'READ_ONLY'],
      [await post({ ...link, id: 'nobody' }), 404, 'ATTENTION_NOT_FOUND'],
      [await post({ ...link, candidate: 'ct_other' }), 409, 'ACTION_NOT_ALLOWED'],
      [await post({ connection: 'crm', id: 'bad', action: 'retry' }), 409, 'ACTION_NOT_ALLOWED'],
      [await post({ ...link, extra: 1 }), 400, 'BAD_REQUEST'],
      [await post(link, server, { 'sec-fetch-site': 'cross-site' }), 403, 'CROSS_SITE'],
      [await post(link, server, { origin: 'https://evil.example' }), 403, 'CROSS_SITE'],
    ];
    for (const [res, status, code] of refusals) {
      expect(res.status, res.text).toBe(status);
      expect(res.json().code).toBe(code);
    }
    expect((await fetch(`${server.url}/api/attention/actions`, { method: 'POST' })).status).toBe(401);
    expect(await node.rt.queues.actions.getJobCounts()).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
    });
    // The read-only board still shows the listing, without the forms.
    const page = await call(readOnly, '/attention?connection=crm');
    expect(page.text).toContain('data-entry-id="amb"');
    expect(page.text).not.toContain('<form method="post"');
  });

  it('retries a failed record now: the run it starts reads it again', async () => {
    const before = sandbox.contacts().length;
    const status = await act({ connection: 'crm', id: 'fail', action: 'retry' });
    expect(status.result).toMatchObject({ outcome: 'run', runId: expect.stringMatching(/^run-/) });
    expect(sandbox.contacts()).toHaveLength(before + 1);
    expect(await decidedRow('fail')).toMatchObject({ detail: { action: 'retry', by: 'admin', via: 'api' } });
    expect((await listing()).map((e) => e.id)).not.toContain('fail');
  });

  it('links an ambiguous record to the contact chosen: audited with who, carried out by the run it starts', async () => {
    const status = await act({ connection: 'crm', id: 'amb', action: 'link', candidate: twins.email });
    expect(status.result).toMatchObject({ outcome: 'run', runId: expect.stringMatching(/^run-/) });
    expect((await store.getLinks('crm', ['amb'])).get('amb')?.sahutId).toBe(twins.email);
    const [linked] = (await store.queryAudit({ crmId: 'amb', limit: 1 })).rows;
    expect(linked).toMatchObject({ action: 'linked', sahutId: twins.email, runId: status.result?.runId });
    expect(await decidedRow('amb')).toMatchObject({
      runId: status.id,
      error: `link amb to ${twins.email}, by admin (api)`,
      detail: { action: 'link', id: 'amb', candidate: twins.email, by: 'admin', via: 'api' },
    });
    expect((await listing()).map((e) => e.id)).not.toContain('amb');
  });

  it('creates a new contact for an ambiguous record, instead of its candidates', async () => {
    const before = sandbox.contacts().length;
    await act({ connection: 'crm', id: 'amb2', action: 'create' });
    expect(await store.getDecision('crm', 'amb2')).toMatchObject({ kind: 'create', by: 'admin' });
    expect(sandbox.contacts()).toHaveLength(before + 1);
    expect((await listing()).map((e) => e.id)).toEqual(['bad']);
  });

  it("acknowledges from the page's form, and the next run brings nothing back", async () => {
    const form = new URLSearchParams({ connection: 'crm', id: 'bad', action: 'acknowledge' });
    const res = await fetch(`${server.url}/attention/actions`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        authorization: basic(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: server.url,
        'sec-fetch-site': 'same-origin',
      },
      body: form,
    });
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    const id = /action=(act-[\w-]+)/.exec(location)?.[1] as string;
    expect(location).toMatch(/^\/attention\?connection=crm&action=act-/);
    expect((await waitForAction(node.rt, id))?.result?.outcome).toBe('acknowledged');
    expect(await decidedRow('bad')).toMatchObject({ error: 'acknowledge bad, by admin (dashboard)' });
    expect(await listing()).toEqual([]);
    expect((await listing('connection=crm&acknowledged=true')).map((e) => e.id)).toEqual(['bad']);
    // Pairs of contacts a person looked at are acknowledged too.
    for (const pair of await everything())
      await act({ connection: 'crm', id: pair.id, action: 'acknowledge' });
    const page = await call(server, `/attention${location.slice('/attention'.length)}`);
    expect(page.text).toMatch(/id="action-status" data-state="completed"/);
    expect(page.text).toContain('id="attention-empty"');

    // Every record is read again: the linked and created ones are unchanged, `bad` is rejected as before.
    const full = await enqueueRun(node.rt, 'crm', 'crm-to-sahut', 'cli', { full: true });
    const again = await waitForRun(node.rt, full.job, full.runId);
    expect(again.counts).toMatchObject({ unchanged: 3, rejected: 1 });
    expect(again.counts.ambiguous ?? again.counts.failed).toBeUndefined();
    expect(await listing()).toEqual([]);
  });

  it('keeps the value a person takes in a conflict, on both sides', async () => {
    await runOnce(node, 'two');
    const sahutId = (await store.getLinks('two', ['k'])).get('k')?.sahutId as string;
    await two.edit('k', { company: 'CRM Co' });
    await node.rt.sahut.update(sahutId, { company: 'Sahut Co' });
    expect((await runOnce(node, 'two')).counts).toEqual({ conflict: 1 });
    const [entry] = await listing('connection=two&kind=conflict');
    expect(entry?.detail).toMatchObject({
      conflicts: [{ field: 'company', crm: 'CRM Co', sahut: 'Sahut Co', resolution: 'crm' }],
    });
    const page = await call(server, '/attention?connection=two');
    expect(page.text).toContain('<tr data-field="company">');

    const status = await act({ connection: 'two', id: 'k', action: 'take', field: 'company', side: 'sahut' });
    expect(status.result?.outcome).toBe('updated');
    expect((await two.get('k'))?.data.company).toBe('Sahut Co');
    expect(sandbox.contacts().find((c) => c.id === sahutId)?.company).toBe('Sahut Co');
    expect(await decidedRow('k')).toMatchObject({ error: "keep Sahut's company of k, by admin (api)" });
    expect(await listing('connection=two')).toEqual([]);
    const scan = await runOnce(node, 'two', 'sahut-to-crm');
    expect(scan.counts).toMatchObject({ unchanged: 1 });
    expect(scan.counts.conflict ?? scan.counts.updated).toBeUndefined();
    const conflictNotified = () =>
      hook.bodies.some((b) => b.records.some((r) => r.kind === 'conflict' && r.crm_id === 'k'));
    await until(conflictNotified, 10_000, 'the conflict notification');
  });

  it('masks phones, emails and names on the page and in the API under DASHBOARD_REDACT_PII', async () => {
    await store.appendAudit([
      {
        runId: 'run-pii',
        jobId: null,
        connection: 'pii',
        direction: 'crm-to-sahut',
        crmId: 'p1',
        sahutId: null,
        action: 'ambiguous',
        diff: null,
        error: `phone ${PHONE_TWIN} matches ct_1, ct_2`,
        attempt: 1,
        detail: {
          candidates: ['ct_1', 'ct_2'],
          crm: { name: 'Budi Santoso', phone: PHONE_TWIN, email: EMAIL_TWIN },
          contacts: [{ id: 'ct_1', name: 'Budi Santoso', phone: PHONE_TWIN, email: EMAIL_TWIN }],
        },
      },
    ]);
    const shown =
      (await call(masked, '/attention?connection=pii')).text +
      (await call(masked, '/api/attention?connection=pii')).text;
    for (const clear of [PHONE_TWIN, EMAIL_TWIN, 'Budi Santoso']) expect(shown).not.toContain(clear);
    expect(shown).toContain('+62811****111');
    expect(shown).toContain('value="ct_1"');
  });
});
