import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PARAM_LENGTH } from '../src/server/input/params.ts';
import { privateStore, type StoreKind } from './helpers/env.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

/** Values no parameter may hold: NUL and other C0/C1 controls, DEL, and one character too many. */
const HOSTILE: [string, string][] = [
  ['NUL', '\u0000'],
  ['NUL inside a value', 'crm-1\u0000x'],
  ['BEL', 'a\u0007'],
  ['an escape sequence', '\u001b[31mred'],
  ['a newline', 'run-1\nrun-2'],
  ['DEL', '\u007f'],
  ['a C1 control', 'x\u0085'],
  ['an over-long value', 'a'.repeat(MAX_PARAM_LENGTH + 1)],
];

/** Every route of the server, each parameter it reads; `{}` marks where a path parameter goes. */
const QUERY_ROUTES: [string, string[]][] = [
  ['/api/audit', ['crm_id', 'sahut_id', 'run', 'connection', 'action', 'since', 'until', 'limit', 'cursor']],
  ['/api/runs', ['limit', 'connection', 'direction']],
  ['/audit', ['q', 'run', 'cursor']],
  ['/runs', ['connection', 'limit']],
  ['/api/attention', ['connection', 'kind', 'direction', 'acknowledged', 'limit', 'cursor']],
  ['/attention', ['connection', 'kind', 'direction', 'acknowledged', 'limit', 'cursor', 'action']],
  ['/api/sync-health', ['x']],
  ['/', ['x']],
  ['/admin/queues/api/queues', ['activeQueue', 'status', 'page', 'jobsPerPage']],
  ['/healthz', ['x']],
  ['/readyz', ['x']],
  ['/metrics', ['x']],
];
const PATH_ROUTES: [string, string][] = [
  ['GET', '/api/runs/{}'],
  ['GET', '/api/runs/{}/timeline'],
  ['GET', '/assets/{}'],
  ['GET', '/api/attention/actions/{}'],
  ['GET', '/admin/queues/api/queues/{}/1'],
  ['GET', '/admin/queues/api/queues/runs/{}/logs'],
  ['PUT', '/admin/queues/api/queues/{}/pause'],
  ['GET', '/admin/queues/queue/{}'],
];

describe.each<StoreKind>(['sqlite', 'postgres'])('hostile parameters on the %s store', (kind) => {
  let harness: Harness;
  let url: string;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    harness = await createHarness();
    const own = kind === 'postgres' ? await privateStore('postgres') : undefined;
    dispose = own?.dispose;
    const store = own?.store ?? harness.store;
    await store.startRun({ id: 'run-1', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
    url = (await harness.start({ store })).url;
  });
  afterAll(async () => {
    await harness?.close();
    await dispose?.();
  });

  const send = async (path: string, method = 'GET') => {
    const res = await fetch(url + path, { method, headers: { authorization: basic() } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('answers well-formed requests as before', async () => {
    expect((await send('/api/audit?crm_id=crm-1&connection=main')).status).toBe(200);
    expect((await send('/api/runs?connection=main')).status).toBe(200);
    expect((await send('/api/runs/run-1')).status).toBe(200);
    expect((await send('/api/runs/run-1/timeline')).status).toBe(200);
    expect((await send('/api/runs?direction=sahut-to-crm')).status).toBe(200);
    expect((await send('/audit?q=%2B6281234567789')).status).toBe(200);
    expect((await send('/runs?connection=main')).status).toBe(200);
    expect((await send('/api/attention?connection=main&kind=failed')).status).toBe(200);
    expect((await send('/attention?connection=main')).status).toBe(200);
  });

  for (const [route, params] of QUERY_ROUTES) {
    it.each(HOSTILE)(
      `${route}: %s in any query parameter is a 400 from the catalogue`,
      async (_what, value) => {
        for (const param of params) {
          const res = await send(`${route}?${param}=${encodeURIComponent(value)}`);
          expect(res.status, `${route}?${param}`).toBe(400);
          expectCatalogued(res, /control characters|longer than/);
          expect(res.text).not.toContain(value);
        }
      },
    );
  }

  for (const [method, route] of PATH_ROUTES) {
    it.each(HOSTILE)(
      `${method} ${route}: %s in a path parameter is a 400 from the catalogue`,
      async (_what, value) => {
        const res = await send(route.replace('{}', encodeURIComponent(value)), method);
        expect(res.status, route).toBe(400);
        expectCatalogued(res, /control characters|longer than/);
      },
    );
  }

  it('refuses a parameter whose name holds a control character, without echoing it', async () => {
    const res = await send('/api/audit?%00%1b=1');
    expect(res.status).toBe(400);
    expectCatalogued(res, /a parameter name holds control characters/);
  });

  it('still asks for credentials first', async () => {
    const res = await fetch(`${url}/api/audit?crm_id=%00`);
    expect(res.status).toBe(401);
  });
});

/** JSON routes answer the catalogue body; the HTML pages render the same code and message. */
function expectCatalogued(res: { type: string; text: string }, message: RegExp) {
  if (res.type.startsWith('text/html')) {
    expect(res.text).toMatch(/<p class="error">Invalid (query|path): /);
    expect(res.text).toMatch(message);
    return;
  }
  const body = JSON.parse(res.text) as Record<string, unknown>;
  // Bull Board's routes answer in the shape its UI reads (a translation key as `error`), with our code.
  if (!String(body.error).startsWith('ERRORS.'))
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  expect(body.code).toBe('BAD_QUERY');
  expect(body.message).toMatch(message);
}
