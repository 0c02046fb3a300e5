import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { redisChecks } from '../src/doctor/redis.ts';
import { createRedisLocks, createRedisRateLimiter } from '../src/queue/index.ts';
import { checkRedis, createRedis, type RedisClient } from '../src/redis/index.ts';
import { openStore } from '../src/store/index.ts';
import { cliDeployment, csvRow, runCli } from './helpers/cli.ts';
import { uniqueName } from './helpers/env.ts';
import { capturingLogger } from './helpers/log-capture.ts';
import { hasPeer } from './helpers/peers.ts';
import { type ClusterTopology, REDIS_SERVER, sparePort, startCluster } from './helpers/redis-topology.ts';

const RECORDS = 3000;

const peers = hasPeer(REDIS_SERVER, 'redis-server') && hasPeer('/usr/bin/redis-cli', 'redis-tools');

describe.runIf(peers)('Redis Cluster of three primaries', () => {
  let cluster: ClusterTopology;
  let env: { REDIS_CLUSTER_NODES: string };
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    env = { REDIS_CLUSTER_NODES: cluster.seedList };
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.dispose();
  });

  const first = () => `${cluster.nodes[0]?.host}:${cluster.nodes[0]?.port}`;

  /** A prefix without braces whose hash-tagged form lives on a primary other than the first seed. */
  async function prefixAwayFromFirstSeed(): Promise<{ name: string; owner: string }> {
    for (;;) {
      const name = uniqueName('cluster');
      const owner = await cluster.ownerOf(`{${name}}`);
      if (owner !== first()) return { name, owner };
    }
  }

  /** Every key of the cluster starting with `prefix`, with the primary holding it. */
  async function keysOf(prefix: string): Promise<Map<string, string>> {
    const redis = createRedis(loadConfig(env).redis.connection) as Cluster;
    clients.push(redis);
    await redis.connect();
    const found = new Map<string, string>();
    for (const node of redis.nodes('master')) {
      for (const key of await node.keys(`${prefix}*`))
        found.set(key, `${node.options.host}:${node.options.port}`);
    }
    return found;
  }

  it('run --once syncs 3,000 records with a prefix whose slot is not on the first seed: 0 missing, 0 duplicate', async () => {
    const { name, owner } = await prefixAwayFromFirstSeed();
    const deployment = await cliDeployment({
      ...env,
      QUEUE_PREFIX: name,
      SAHUT_RATE_LIMIT: '5000',
      WORKER_CONCURRENCY: '32',
    });
    try {
      await deployment.crm.write(Array.from({ length: RECORDS }, (_, i) => csvRow(i)));
      const { code, output } = await runCli(['run', '--once', '--connection', 'crm'], deployment.env);

      expect(output).not.toMatch(/MOVED|CROSSSLOT|"level":50/);
      expect(code, output).toBe(0);
      const phones = deployment.sandbox.contacts().map((c) => c.phone);
      expect(phones).toHaveLength(RECORDS);
      expect(new Set(phones)).toEqual(
        new Set(Array.from({ length: RECORDS }, (_, i) => `+62${csvRow(i).phone?.slice(1)}`)),
      );
      // Every key of the deployment went to the one primary serving the prefix's hash tag.
      const keys = await keysOf(`{${name}}:`);
      expect(keys.size).toBeGreaterThan(0);
      expect(new Set(keys.values())).toEqual(new Set([owner]));
      // The books balance: every record read is counted once.
      const store = await openStore({ kind: 'sqlite', path: deployment.env.SQLITE_PATH as string });
      try {
        const [run] = await store.listRuns({ limit: 1 });
        expect(run).toMatchObject({ status: 'succeeded', total: RECORDS, counts: { created: RECORDS } });
      } finally {
        await store.close();
      }
    } finally {
      await deployment.dispose();
    }
  }, 240_000);

  it('the identity locks and the shared rate limiter use keys in the slot of the prefix', async () => {
    const { name } = await prefixAwayFromFirstSeed();
    const config = loadConfig({ ...env, QUEUE_PREFIX: name });
    const redis = createRedis(config.redis.connection);
    clients.push(redis);
    const locks = createRedisLocks(redis, { prefix: config.redis.prefix, ttlMs: 5000, waitMs: 5000 });
    // Two identities of one record: one Lua script over two keys, which Cluster allows only in one slot.
    await expect(
      locks.withLocks(['phone:+628121000001', 'email:a@example.com'], async () => 'held'),
    ).resolves.toBe('held');
    const limiter = createRedisRateLimiter(redis, {
      key: `${config.redis.prefix}:sahut-rate`,
      ratePerSec: 1000,
      scanShare: 0.2,
    });
    // A write, then a scan page beside it: the scan's lane and the two flags, one script over four keys.
    await limiter.take();
    await limiter.take(undefined, 'scan');
    const keys = await keysOf(`{${name}}:`);
    expect([...keys.keys()].sort()).toEqual(
      ['sahut-rate', 'sahut-rate:scans', 'sahut-rate:scans-beside', 'sahut-rate:writes-waiting'].map(
        (k) => `{${name}}:${k}`,
      ),
    );

    // Without the tag the same two keys land in two slots: what the automatic tag prevents.
    const untagged = createRedisLocks(redis, { prefix: name });
    await expect(
      untagged.withLocks(['phone:+628121000001', 'email:a@example.com'], async () => 1),
    ).rejects.toThrow(/CROSSSLOT/);
  });

  it('logs a failing command by name and keys, without its script or arguments', async () => {
    const { log, lines } = capturingLogger();
    const redis = createRedis(loadConfig(env).redis.connection);
    clients.push(redis);
    const name = uniqueName('untagged');
    const locks = createRedisLocks(redis, { prefix: name });
    const err = await locks
      .withLocks(['phone:+628121000001', 'email:a@example.com'], async () => 1)
      .catch((e) => e);
    log.error({ err }, 'lock failed');

    const line = JSON.parse(lines[0] ?? '{}') as { err: { message: string; command: unknown } };
    expect(line.err.message).toMatch(/CROSSSLOT/);
    expect(line.err.command).toEqual({
      // EVAL, or EVALSHA once the script is called by its digest.
      name: expect.stringMatching(/^eval(sha)?$/),
      keys: [expect.stringMatching(new RegExp(`^${name}:lock:[0-9a-f]{40}$`)), expect.any(String)],
    });
    expect(lines[0]).not.toContain("redis.call('EXISTS'");
    expect(lines[0]?.length).toBeLessThan(2000);
  });

  it('the start-up check reaches the cluster through its seeds, names the setting when none answers, refuses a lone node', async () => {
    await expect(checkRedis(loadConfig(env).redis.connection)).resolves.toBeUndefined();
    const nowhere = loadConfig({ REDIS_CLUSTER_NODES: `127.0.0.1:${await sparePort()}` }).redis.connection;
    await expect(checkRedis(nowhere)).rejects.toThrow(
      /Redis is unreachable at the cluster of 127\.0\.0\.1:\d+ \(REDIS_CLUSTER_NODES\)/,
    );
    // What a new user tries first: the URL of one node, and a tagged prefix. Refused at start-up, naming the fix.
    const deployment = await cliDeployment({
      REDIS_URL: `redis://${first()}`,
      QUEUE_PREFIX: `{${uniqueName('c')}}`,
    });
    try {
      const { code, output } = await runCli(['run', '--once'], deployment.env);
      expect(code).toBe(69);
      expect(output).toMatch(/is a node of a Redis Cluster: set REDIS_CLUSTER_NODES=host:port/);
    } finally {
      await deployment.dispose();
    }
  });

  it('doctor names the slot of the prefix and the primary serving it, and refuses a lone node', async () => {
    const { name, owner } = await prefixAwayFromFirstSeed();
    const checks = await redisChecks(loadConfig({ ...env, QUEUE_PREFIX: name }));
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(checks.find((c) => c.name === 'shape')?.detail).toBe('a cluster of 3 primaries');
    expect(checks.find((c) => c.name === 'slot')?.detail).toMatch(
      new RegExp(`^every key of prefix \\{${name}\\} hashes to slot \\d+, served by ${owner}$`),
    );
    const lone = await redisChecks(loadConfig({ REDIS_URL: `redis://${first()}` }));
    expect(lone.find((c) => c.name === 'shape')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/is a node of a Redis Cluster: set REDIS_CLUSTER_NODES/),
    });
  });
});

describe.runIf(peers && hasPeer('/usr/bin/openssl', 'openssl'))(
  'Redis Cluster over TLS, with a password',
  () => {
    const password = 'cluster-pass-7Hq2';
    let cluster: ClusterTopology;

    beforeAll(async () => {
      cluster = await startCluster({ tls: true, password });
    });

    afterAll(() => cluster?.dispose());

    it('run --once syncs over TLS with REDIS_TLS, REDIS_PASSWORD and the CA in NODE_EXTRA_CA_CERTS', async () => {
      const deployment = await cliDeployment({
        REDIS_CLUSTER_NODES: cluster.seedList,
        REDIS_TLS: 'true',
        REDIS_PASSWORD: password,
        NODE_EXTRA_CA_CERTS: cluster.caFile as string,
      });
      try {
        await deployment.crm.write(Array.from({ length: 200 }, (_, i) => csvRow(i)));
        const { code, output } = await runCli(['run', '--once'], deployment.env);
        expect(code, output).toBe(0);
        expect(deployment.sandbox.contacts()).toHaveLength(200);
        expect(output).not.toContain(password);
        // Without the CA the certificate is refused at start-up, and the message says where.
        const { NODE_EXTRA_CA_CERTS: _, ...untrusted } = deployment.env;
        const refused = await runCli(['run', '--once'], untrusted);
        expect(refused.code).toBe(69);
        expect(refused.output).toMatch(
          /Redis is unreachable at the cluster of .* \(REDIS_CLUSTER_NODES\): None of startup nodes is available: self-signed certificate in certificate chain/,
        );
      } finally {
        await deployment.dispose();
      }
    }, 120_000);
  },
);
