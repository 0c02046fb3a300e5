import { afterEach, describe, expect, it } from 'vitest';
import { type FaultConfig, type Sandbox, startSandbox } from '../src/sandbox/index.ts';

const KEY = 'sk_test_faults_77aa';
const AUTH = { authorization: `Bearer ${KEY}` };

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(faults?: FaultConfig) {
  const started = await startSandbox({ apiKey: KEY, faults });
  open.push(started.sandbox);
  return started;
}

/** Status, or the name of the network error when the server gave no answer. */
async function hit(
  baseUrl: string,
  method = 'GET',
  path = '/contacts',
  body?: unknown,
): Promise<number | string> {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return ((err as Error).cause as { code?: string } | undefined)?.code ?? 'error';
  }
}

describe('sandbox faults', () => {
  it('plays a script in order on the matching route only, then behaves normally', async () => {
    const { baseUrl, sandbox } = await start({
      rules: [{ route: 'GET /contacts', script: [503, 503, 'pass', 502, 500] }],
    });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await hit(baseUrl));
    expect(statuses).toEqual([503, 503, 200, 502, 500, 200, 200]);
    expect(await hit(baseUrl, 'POST', '/contacts', { name: 'unaffected' })).toBe(201);
    expect(sandbox.statusCounts()['GET /contacts']).toEqual({ '200': 3, '500': 1, '502': 1, '503': 2 });
  });

  it('answers 429 with a Retry-After header when scripted', async () => {
    const { baseUrl } = await start({ rules: [{ script: [{ status: 429, retryAfterSec: 1 }] }] });
    const res = await fetch(`${baseUrl}/contacts`, { headers: AUTH });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(await hit(baseUrl)).toBe(200);
  });

  it('rate-limits with a token bucket: N per window, then 429 + Retry-After in whole seconds', async () => {
    const { baseUrl, sandbox } = await start({ rateLimit: { requests: 3, windowMs: 60_000 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await hit(baseUrl));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await fetch(`${baseUrl}/contacts`, { headers: AUTH });
    // One token takes 20 s to come back at 3 per minute.
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    sandbox.setFaults({});
    expect(await hit(baseUrl)).toBe(200);
  });

  it('fails every k-th matching request, at most `times` times', async () => {
    const { baseUrl } = await start({ rules: [{ every: 3, action: 500, times: 2 }] });
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push(await hit(baseUrl));
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500, 200, 200, 200, 200]);
  });

  it('fails a seeded share of requests, the same ones for the same seed', async () => {
    const run = async (seed: number) => {
      const { baseUrl } = await start({ rules: [{ share: 0.3, seed, action: 503 }] });
      const statuses = [];
      for (let i = 0; i < 40; i++) statuses.push(await hit(baseUrl));
      return statuses;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    const failed = a.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(25);
    expect(await run(7)).not.toEqual(a);
  });

  it('resets the connection without answering, and the handler never runs', async () => {
    const { baseUrl, sandbox } = await start({ rules: [{ route: 'POST /contacts', script: ['reset'] }] });
    expect(await hit(baseUrl, 'POST', '/contacts', { name: 'lost' })).toBe('ECONNRESET');
    expect(sandbox.contacts()).toEqual([]);
    expect(sandbox.statusCounts()['POST /contacts']).toEqual({ reset: 1 });
  });

  it('commits then drops: the write happens, the answer never comes', async () => {
    const { baseUrl, sandbox } = await start({
      rules: [{ route: 'POST /contacts', script: ['commit-then-drop', 'commit-then-drop'] }],
    });
    expect(await hit(baseUrl, 'POST', '/contacts', { name: 'first' })).toBe('UND_ERR_SOCKET');
    expect(await hit(baseUrl, 'POST', '/contacts', { name: 'second' })).toBe('UND_ERR_SOCKET');
    expect(await hit(baseUrl, 'POST', '/contacts', { name: 'third' })).toBe(201);
    expect(sandbox.contacts().map((c) => c.name)).toEqual(['first', 'second', 'third']);
    expect(sandbox.counts()['POST /contacts']).toBe(3);
    expect(sandbox.statusCounts()['POST /contacts']).toEqual({ dropped: 2, '201': 1 });
  });

  it('commits then drops a PUT too', async () => {
    const { baseUrl, sandbox } = await start();
    const [c] = sandbox.seed([{ name: 'Budi' }]);
    sandbox.setFaults({ rules: [{ route: 'PUT /contacts/:id', script: ['commit-then-drop'] }] });
    expect(await hit(baseUrl, 'PUT', `/contacts/${c?.id}`, { company: 'PT X' })).toBe('UND_ERR_SOCKET');
    expect(sandbox.contacts()[0]?.company).toBe('PT X');
  });

  it('adds latency to every request, and per request from a script', async () => {
    const { baseUrl, sandbox } = await start({ latencyMs: 150 });
    let t = performance.now();
    expect(await hit(baseUrl)).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(140);
    sandbox.setFaults({ rules: [{ script: [{ delayMs: 200 }] }] });
    t = performance.now();
    expect(await hit(baseUrl)).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);
  });

  it('takes a new schedule at runtime and rejects an invalid one', async () => {
    const { baseUrl, sandbox } = await start({ rules: [{ script: [500] }] });
    sandbox.setFaults({ rules: [{ script: [502] }] });
    expect(await hit(baseUrl)).toBe(502);
    expect(() => sandbox.setFaults({ rules: [{ script: [200] }] })).toThrow();
    expect(await hit(baseUrl)).toBe(200);
  });

  it('checks auth before faults: a request without the key gets 401 and leaves the script alone', async () => {
    const { baseUrl } = await start({ rules: [{ script: [503] }] });
    const res = await fetch(`${baseUrl}/contacts`);
    await res.arrayBuffer();
    expect(res.status).toBe(401);
    expect(await hit(baseUrl)).toBe(503);
  });
});
