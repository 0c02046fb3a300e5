import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { seedsFrom } from '../src/redis/cluster.ts';
import { createRedis } from '../src/redis/index.ts';
import { openStore } from '../src/store/index.ts';
import { type CliProcess, cliDeployment, csvRow, type LogLine, logLines, spawnCli } from './helpers/cli.ts';
import { uniqueName, until } from './helpers/env.ts';
import { hasPeer } from './helpers/peers.ts';
import {
  type ClusterTopology,
  type Node,
  REDIS_SERVER,
  sparePort,
  startCluster,
} from './helpers/redis-topology.ts';

const RECORDS = 1200;
/** How long after the promotion a process may still log Redis errors (its connections catching up). */
const SETTLE_MS = 5_000;
/** How long the test then watches every process stay quiet. */
const QUIET_MS = 4_000;
const PASSWORD = 'board-pass-Kc4r9';

describe('the seeds a Cluster connection reconnects through', () => {
  it('are the given ones first, then every node of the slot table once, IPv6 included', () => {
    const slots = [
      ['10.0.0.2:7000', '10.0.0.5:7000'],
      undefined,
      ['10.0.0.1:7000', '::1:7001'],
      ['10.0.0.2:7000'],
    ];
    expect(seedsFrom([{ host: '10.0.0.1', port: 7000 }], slots)).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7000 },
      { host: '10.0.0.5', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(seedsFrom([{ host: 'redis.internal', port: 6379 }], [])).toEqual([
      { host: 'redis.internal', port: 6379 },
    ]);
  });
});

/** A TCP proxy to `port`: a seed address that can vanish while the node behind it lives on. */
async function proxyTo(port: number) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    seed: `127.0.0.1:${address.port}`,
    async close() {
      server.close();
      for (const s of sockets) s.destroy();
      await once(server, 'close');
    },
  };
}

const peers = hasPeer(REDIS_SERVER, 'redis-server') && hasPeer('/usr/bin/redis-cli', 'redis-tools');

describe.runIf(peers)('Redis Cluster of three primaries and three replicas, given one seed', () => {
  let cluster: ClusterTopology;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    // The replica takes over about 6 s after its primary goes silent.
    cluster = await startCluster({ replicas: true, nodeTimeoutMs: 5000 });
  }, 60_000);

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await cluster?.dispose();
  });

  const spawn = (args: string[], env: Record<string, string>) => {
    const p = spawnCli(args, env);
    processes.push(p);
    onTestFailed(() => {
      process.stderr.write(`\n--- sahut-sync ${args.join(' ')} (last lines)\n${p.output().slice(-4000)}\n`);
    });
    return p;
  };

  const address = (n: Node) => `${n.host}:${n.port}`;

  it('a connection whose only seed is gone reconnects, and duplicates, through the nodes it discovered', async () => {
    const [node] = cluster.nodes;
    if (!node) throw new Error('no node');
    const proxy = await proxyTo(node.port);
    const config = loadConfig({ REDIS_CLUSTER_NODES: proxy.seed, QUEUE_PREFIX: uniqueName('seeds') });
    const redis = createRedis(config.redis.connection) as Cluster;
    const copies: Cluster[] = [];
    try {
      await redis.connect();
      await proxy.close();
      // What BullMQ does when a blocking connection's node pool empties: disconnect, connect again.
      redis.disconnect();
      await redis.connect();
      await expect(redis.set(`${config.redis.prefix}:k`, 'v', 'PX', 5000)).resolves.toBe('OK');
      // BullMQ's blocking readers are duplicates, some made after the seed went away.
      copies.push(redis.duplicate());
      await expect(copies[0]?.get(`${config.redis.prefix}:k`)).resolves.toBe('v');
    } finally {
      for (const c of [redis, ...copies]) c.disconnect();
    }
  });

  /** A queue prefix whose slot the seed serves: the deployment loses its primary when the seed dies. */
  async function prefixOn(seed: Node): Promise<string> {
    for (;;) {
      const name = uniqueName('failover');
      if ((await cluster.ownerOf(`{${name}}`)) === address(seed)) return name;
    }
  }

  const readyz = async (port: number) => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
      return { status: res.status, body: (await res.json()) as { checks: { redis: string } } };
    } catch {
      return { status: 0, body: undefined };
    }
  };

  /** Lines a process logged about a failure: errors, and the dashboard's connection warnings. */
  const errorsOf = (p: CliProcess): LogLine[] =>
    logLines(p.output()).filter(
      (l) => (l.level >= 50 || (l.level >= 40 && 'err' in l)) && typeof l.time === 'number',
    );

  it('its only seed is SIGKILLed mid-run: the replica takes over, the run completes 0 missing / 0 duplicate, the errors stop, /readyz says why meanwhile', async () => {
    const [seed] = await cluster.primaries();
    if (!seed) throw new Error('no primary');
    const name = await prefixOn(seed);
    const deployment = await cliDeployment({
      REDIS_CLUSTER_NODES: address(seed),
      QUEUE_PREFIX: name,
      SAHUT_RATE_LIMIT: '150',
      WORKER_CONCURRENCY: '8',
      JOB_LOCK_MS: '5000',
      LOG_LEVEL: 'info',
      DASHBOARD_PASSWORD: PASSWORD,
    });
    const { env } = deployment;
    try {
      await deployment.crm.write(Array.from({ length: RECORDS }, (_, i) => csvRow(i)));
      // Every kind of process of a deployment: two workers, the dashboard, the scheduler.
      const [servePort, ...workerPorts] = [await sparePort(), await sparePort(), await sparePort()];
      const ports = [servePort as number, ...workerPorts];
      const workers = workerPorts.map((port) => spawn(['worker', '--http-port', String(port)], env));
      const serve = spawn(['serve', '--port', String(servePort)], env);
      const scheduler = spawn(['scheduler', '--interval', '1'], env);
      const board = async () => {
        const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
        const res = await fetch(`http://127.0.0.1:${servePort}/admin/queues/api/queues`, {
          headers: { authorization: auth },
          signal: AbortSignal.timeout(3000),
        }).catch(() => undefined);
        return res?.status ?? 0;
      };
      await until(
        async () => (await Promise.all(ports.map(readyz))).every((r) => r.status === 200),
        30_000,
        'the workers and the dashboard to be ready',
      );
      const once = spawn(['run', '--once', '--connection', 'crm'], env);
      await until(
        () => deployment.sandbox.contacts().length >= RECORDS / 5,
        60_000,
        'the run to be well under way',
      );

      seed.child.kill('SIGKILL');
      expect(deployment.sandbox.contacts().length).toBeLessThan(RECORDS);

      // No primary for the deployment's slot: not ready, and the reason names the slot.
      const slotDown = new RegExp(
        `^unreachable: slot \\d+ \\(every key of \\{${name}\\}\\) has no reachable primary \\(its primary was ${address(seed)}\\): `,
      );
      for (const port of [servePort as number, workerPorts[0] as number]) {
        await until(
          async () => slotDown.test((await readyz(port)).body?.checks.redis ?? ''),
          15_000,
          `readyz on ${port} to report the slot down`,
        );
      }

      await until(
        async () => (await cluster.ownerOf(`{${name}}`)) !== address(seed),
        30_000,
        'a replica to be promoted',
      );
      const promotedAt = Date.now();
      await until(
        async () => (await Promise.all(ports.map(readyz))).every((r) => r.status === 200),
        15_000,
        'the workers and the dashboard to be ready again',
      );
      await until(async () => (await board()) === 200, 15_000, 'the board to answer again');
      await until(
        () =>
          logLines(scheduler.output()).some(
            (l) => l.msg === 'schedules applied' && (l.time as number) > promotedAt,
          ),
        15_000,
        'the scheduler to apply its schedules on the new primary',
      );

      const done = await Promise.race([
        once.exited,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
      ]);
      expect(done?.code, once.output().slice(-3000)).toBe(0);
      const phones = deployment.sandbox.contacts().map((c) => c.phone);
      expect(phones).toHaveLength(RECORDS);
      expect(new Set(phones).size).toBe(RECORDS);
      const store = await openStore({ kind: 'sqlite', path: env.SQLITE_PATH as string });
      try {
        const [run] = await store.listRuns({ limit: 1 });
        expect(run).toMatchObject({ status: 'succeeded', total: RECORDS });
      } finally {
        await store.close();
      }

      // The workers stay up and watch the queues: long enough after the promotion to see any error loop.
      const quietFrom = promotedAt + SETTLE_MS;
      await until(() => Date.now() >= quietFrom + QUIET_MS, SETTLE_MS + QUIET_MS + 1000, 'the quiet window');
      for (const p of [...workers, serve, scheduler, once]) {
        const late = errorsOf(p).filter((l) => (l.time as number) > quietFrom);
        expect(late.map((l) => `${new Date(l.time as number).toISOString()} ${l.msg}`)).toEqual([]);
      }
      for (const p of [...workers, serve, scheduler]) expect(p.child.exitCode).toBeNull();
    } finally {
      await deployment.dispose();
    }
  }, 180_000);
});
