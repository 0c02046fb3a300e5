import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSahutClient,
  type RequestEvent,
  type SahutClient,
  type SahutClientOptions,
  SahutError,
  SahutOutcomeUnknownError,
  SahutRateLimitedError,
  SahutRequestError,
  SahutResponseError,
  SahutUnavailableError,
} from '../src/sahut/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';

const KEY = 'sk_live_SECRET_9f8e7d6c5b4a';

let sandbox: Sandbox;
let baseUrl: string;
let events: RequestEvent[];
const clients: SahutClient[] = [];

beforeEach(async () => {
  ({ sandbox, baseUrl } = await startSandbox({ apiKey: KEY }));
  events = [];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sandbox.close();
});

/** Tiny backoff so the retry tests stay fast; Retry-After is still honoured in full. */
function client(opts: Partial<SahutClientOptions> = {}): SahutClient {
  const c = createSahutClient({
    baseUrl,
    apiKey: KEY,
    retry: { minDelayMs: 1, maxDelayMs: 5 },
    onRequest: (e) => events.push(e),
    ...opts,
  });
  clients.push(c);
  return c;
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
const statuses = () => events.map((e) => e.status);

describe('sahut client: retries', () => {
  it('waits out a 429 with Retry-After: 1 and then succeeds', async () => {
    sandbox.setFaults({ rules: [{ route: 'GET /contacts', script: [{ status: 429, retryAfterSec: 1 }] }] });
    const started = performance.now();
    const page = await client().list({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(page.meta.total).toBe(0);
    expect(statuses()).toEqual([429, 200]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('gets through five 503s in a row on GET', async () => {
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    sandbox.setFaults({ rules: [{ route: 'GET /contacts/:id', script: [503, 503, 503, 503, 503] }] });
    expect((await client().get(c!.id))?.name).toBe('Budi');
    expect(sandbox.statusCounts()['GET /contacts/:id']).toEqual({ '503': 5, '200': 1 });
  });

  it('gets through five 503s in a row on PUT, which is idempotent', async () => {
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    sandbox.setFaults({ rules: [{ route: 'PUT /contacts/:id', script: [503, 502, 500, 503, 503] }] });
    expect((await client().update(c!.id, { company: 'PT X' })).company).toBe('PT X');
    expect(sandbox.counts()['PUT /contacts/:id']).toBe(6);
  });

  it('retries a PUT whose response was dropped after the commit', async () => {
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    sandbox.setFaults({ rules: [{ route: 'PUT /contacts/:id', script: ['commit-then-drop', 'reset'] }] });
    expect((await client().update(c!.id, { tags: ['vip'] })).tags).toEqual(['vip']);
    expect(sandbox.statusCounts()['PUT /contacts/:id']).toEqual({ dropped: 1, reset: 1, '200': 1 });
  });

  it('gives up with SahutUnavailableError after the retries, carrying the last failure as cause', async () => {
    sandbox.setFaults({ rules: [{ route: 'GET /contacts', every: 1, action: 503 }] });
    const err = await failure(client({ retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 } }).list({}));
    expect(err).toBeInstanceOf(SahutUnavailableError);
    expect(err).toMatchObject({ status: 503, permanent: false, code: 'SAHUT_UNAVAILABLE' });
    expect(String((err as Error).cause)).toContain('HTTP 503');
    expect(sandbox.counts()['GET /contacts']).toBe(4);
  });

  it('retries a refused connection, then reports Sahut unavailable', async () => {
    const port = await freePort();
    const err = await failure(
      client({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
      }).create({
        name: 'Budi',
      }),
    );
    expect(err).toBeInstanceOf(SahutUnavailableError);
    expect((err as SahutUnavailableError).status).toBeNull();
    expect(events.map((e) => [e.route, e.status, e.error])).toEqual([
      ['POST /contacts', null, 'ECONNREFUSED'],
      ['POST /contacts', null, 'ECONNREFUSED'],
      ['POST /contacts', null, 'ECONNREFUSED'],
    ]);
  });

  it('throws SahutRateLimitedError at once when Retry-After is beyond its patience', async () => {
    sandbox.setFaults({ rules: [{ script: [{ status: 429, retryAfterSec: 60 }] }] });
    const started = performance.now();
    const err = await failure(client().list({}));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(SahutRateLimitedError);
    expect((err as SahutRateLimitedError).retryAfterMs).toBe(60_000);
    expect(sandbox.counts()['GET /contacts']).toBe(1);
  });

  it('throws SahutRateLimitedError when 429s outlast the retries', async () => {
    sandbox.setFaults({ rules: [{ every: 1, action: 429 }] });
    const err = await failure(client({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } }).list({}));
    expect(err).toBeInstanceOf(SahutRateLimitedError);
    expect(sandbox.counts()['GET /contacts']).toBe(3);
  });

  it('retries a POST answered 429: the request never reached the handler', async () => {
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [429, 429] }] });
    await client().create({ name: 'Budi' });
    expect(sandbox.contacts().map((c) => c.name)).toEqual(['Budi']);
    expect(sandbox.statusCounts()['POST /contacts']).toEqual({ '429': 2, '201': 1 });
  });

  it('respects a shared rate limiter', async () => {
    const { createTokenBucket } = await import('../src/sahut/index.ts');
    const rateLimiter = createTokenBucket({ ratePerSec: 100, burst: 1 });
    const a = client({ rateLimiter });
    const b = client({ rateLimiter });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).list({})));
    expect(performance.now() - started).toBeGreaterThanOrEqual(85);
    expect(sandbox.counts()['GET /contacts']).toBe(10);
  });
});

describe('sahut client: POST is never sent twice blindly', () => {
  it('a 503 on POST → SahutOutcomeUnknownError after exactly one POST', async () => {
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [503] }] });
    const err = await failure(client().create({ name: 'Budi' }));
    expect(err).toBeInstanceOf(SahutOutcomeUnknownError);
    expect(err).toMatchObject({ code: 'SAHUT_OUTCOME_UNKNOWN', permanent: false, route: 'POST /contacts' });
    expect(sandbox.counts()['POST /contacts']).toBe(1);
  });

  it('commit then drop → SahutOutcomeUnknownError, and the contact exists', async () => {
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: ['commit-then-drop'] }] });
    const err = await failure(client().create({ name: 'Budi', phone: '+628123456789' }));
    expect(err).toBeInstanceOf(SahutOutcomeUnknownError);
    expect(sandbox.counts()['POST /contacts']).toBe(1);
    expect(sandbox.contacts().map((c) => c.phone)).toEqual(['+628123456789']);
    // What the worker does next: search before creating again.
    expect((await client().list({ q: '+628123456789' })).data).toHaveLength(1);
  });

  it('a reset on POST → SahutOutcomeUnknownError, one POST', async () => {
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: ['reset'] }] });
    expect(await failure(client().create({ name: 'Budi' }))).toBeInstanceOf(SahutOutcomeUnknownError);
    expect(sandbox.counts()['POST /contacts']).toBe(1);
  });

  it('a response timeout on POST → SahutOutcomeUnknownError, and the slow write still lands', async () => {
    // undici checks header timeouts on a ~0.5 s clock, so the server must be slower than that.
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [{ delayMs: 1_500 }] }] });
    const err = await failure(client({ timeouts: { headersMs: 50 } }).create({ name: 'Slow' }));
    expect(err).toBeInstanceOf(SahutOutcomeUnknownError);
    expect(events[0]?.error).toBe('UND_ERR_HEADERS_TIMEOUT');
    await expect.poll(() => sandbox.contacts().length, { timeout: 5_000 }).toBe(1);
    expect(sandbox.counts()['POST /contacts']).toBe(1);
  });

  it('an abort while a POST is in flight → SahutOutcomeUnknownError', async () => {
    sandbox.setFaults({ latencyMs: 300 });
    const err = await failure(client().create({ name: 'Budi' }, { signal: AbortSignal.timeout(30) }));
    expect(err).toBeInstanceOf(SahutOutcomeUnknownError);
    expect((err as Error).cause).toBeInstanceOf(DOMException);
  });

  it('a timed-out GET is simply retried', async () => {
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    sandbox.setFaults({ rules: [{ route: 'GET /contacts/:id', script: [{ delayMs: 1_500 }] }] });
    expect((await client({ timeouts: { headersMs: 50 } }).get(c!.id))?.name).toBe('Budi');
    expect(events.map((e) => e.error ?? e.status)).toEqual(['UND_ERR_HEADERS_TIMEOUT', 200]);
  });
});

describe('sahut client: the API key never leaks', () => {
  const leaks = (value: unknown): boolean => {
    const texts = [String(value), JSON.stringify(value), inspect(value, { depth: 10, showHidden: true })];
    if (value instanceof Error) texts.push(value.stack ?? '', String(value.cause));
    return texts.some((t) => t.includes(KEY) || t.includes(encodeURIComponent(KEY)));
  };

  it('is absent from every error class and every event', async () => {
    // A server that echoes the request back, key included, as some proxies do.
    const echo = createServer((req, res) => {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad key', got: req.headers.authorization }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1`;
    const errors: unknown[] = [];
    const fast = { retries: 1, minDelayMs: 1, maxDelayMs: 2 };
    try {
      errors.push(await failure(client({ baseUrl: echoUrl }).list({})));
      errors.push(await failure(client().create({ name: '' })));
      sandbox.setFaults({
        rules: [
          { route: 'GET /contacts', script: [{ status: 429, retryAfterSec: 600 }, 503, 503] },
          { route: 'POST /contacts', script: ['commit-then-drop'] },
        ],
      });
      errors.push(await failure(client().list({})));
      errors.push(await failure(client({ retry: fast }).list({})));
      errors.push(await failure(client().create({ name: 'Budi' })));
      errors.push(
        await failure(client({ baseUrl: `http://127.0.0.1:${await freePort()}/v1`, retry: fast }).list({})),
      );
    } finally {
      echo.closeAllConnections();
      await new Promise((resolve) => echo.close(resolve));
    }
    const bad = createServer((req, res) => {
      req.resume();
      res.end(JSON.stringify({ data: { name: KEY } }));
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    try {
      errors.push(
        await failure(
          client({ baseUrl: `http://127.0.0.1:${(bad.address() as AddressInfo).port}` }).get('x'),
        ),
      );
    } finally {
      bad.closeAllConnections();
      await new Promise((resolve) => bad.close(resolve));
    }

    const kinds = new Set(errors.map((e) => (e as Error).constructor));
    for (const kind of [
      SahutRequestError,
      SahutRateLimitedError,
      SahutUnavailableError,
      SahutOutcomeUnknownError,
      SahutResponseError,
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const err of errors) {
      expect(err).toBeInstanceOf(SahutError);
      expect(leaks(err), inspect(err)).toBe(false);
    }
    expect((errors[0] as SahutRequestError).body).toContain('[REDACTED]');
    expect(events.length).toBeGreaterThan(8);
    expect(leaks(events)).toBe(false);
  });
});

/** A port that nothing listens on: bind, read the port, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
