import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './helpers/env.ts';
import { closedStore, createHarness, type Harness } from './server-fixtures.ts';

let harness: Harness | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  // The server first: it still holds the clients the cleanups close.
  await harness?.close();
  harness = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port nothing listens on (we just released it). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A TCP server on `port` handing each connection to `onConnection`; torn down after the test. */
async function tcpServer(port: number, onConnection: (socket: Socket) => void): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

const proxyToRedis = (client: Socket) => {
  const upstream = connect(6379, '127.0.0.1');
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.pipe(upstream).pipe(client);
};

/** A client that keeps retrying forever, as the worker's and server's clients do. */
function retryingRedis(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: () => 50 });
  redis.on('error', () => {});
  cleanups.push(() => redis.disconnect());
  return redis;
}

async function getJson(url: string) {
  const started = performance.now();
  const res = await fetch(url);
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ms: performance.now() - started,
  };
}

describe('/healthz', () => {
  it('answers ok, turns 503 after the event loop was blocked over 1 s, then recovers', async () => {
    harness = await createHarness();
    const { url } = await harness.start();
    expect(await getJson(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });

    const end = performance.now() + 1_500;
    let spins = 0;
    while (performance.now() < end) spins++; // blocks this process's loop, the server's too
    expect(spins).toBeGreaterThan(0);

    const blocked = await getJson(`${url}/healthz`);
    expect(blocked.status).toBe(503);
    expect(blocked.body.status).toBe('blocked');
    expect(blocked.body.eventLoopLagMs).toBeGreaterThan(1_000);
    await until(async () => (await getJson(`${url}/healthz`)).status === 200, 5_000, 'healthz to recover');
  });
});

describe('/readyz', () => {
  it('is ready when Redis and the store answer', async () => {
    harness = await createHarness();
    const { url } = await harness.start();
    expect(await getJson(`${url}/readyz`)).toMatchObject({
      status: 200,
      body: { ready: true, checks: { redis: 'ok', store: 'ok' } },
    });
  });

  it('names Redis while it is unreachable, without hanging, and recovers when it comes back', async () => {
    harness = await createHarness();
    const port = await closedPort();
    const redis = retryingRedis(port);
    const { url } = await harness.start({ redis });

    const down = await getJson(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.checks).toMatchObject({ store: 'ok', redis: expect.stringMatching(/^unreachable: /) });
    expect(down.ms).toBeLessThan(2_500);
    // Scrapes still answer (queue gauges are skipped) while Redis is down.
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('sahut_sync_records_total');

    await tcpServer(port, proxyToRedis);
    await until(async () => (await getJson(`${url}/readyz`)).status === 200, 15_000, 'readyz to recover');
    expect((await getJson(`${url}/readyz`)).body).toEqual({
      ready: true,
      checks: { redis: 'ok', store: 'ok' },
    });
  });

  it('does not hang on a Redis that accepts connections but never answers', async () => {
    harness = await createHarness();
    const port = await closedPort();
    await tcpServer(port, () => {});
    const { url } = await harness.start({ redis: retryingRedis(port), dashboard: false });
    const res = await getJson(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body.checks).toMatchObject({ store: 'ok', redis: expect.stringMatching(/^unreachable: /) });
    expect(res.ms).toBeLessThan(2_500);
  });

  it('names the store when it fails', async () => {
    harness = await createHarness();
    const broken = await closedStore();
    cleanups.push(broken.cleanup);
    const { url } = await harness.start({ store: broken.store });
    const res = await getJson(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body.checks).toMatchObject({ redis: 'ok', store: expect.stringMatching(/^unavailable: /) });
  });
});
