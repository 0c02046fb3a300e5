import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { until } from './env.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';
const HOST = '127.0.0.1';

export interface Node {
  host: string;
  port: number;
  child: ChildProcess;
  /** Extra ioredis options to reach it (TLS, password). */
  access?: RedisOptions;
}

/** A port free on the loopback right now (the OS picked it and we released it). */
export async function sparePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, HOST);
  await once(probe, 'listening');
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// Children still running when the test process exits (a crash, a timeout) are killed with it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A scratch area for one topology: every server it starts runs in its temp dir
 * and is killed, and the dir removed, by `dispose()`.
 */
export async function scratch(label: string) {
  const dir = await mkdtemp(join(tmpdir(), `sahut-redis-${label}-`));
  const children: ChildProcess[] = [];

  /** Starts `redis-server` with `args` (config directives) and resolves once it accepts connections. */
  async function start(name: string, port: number, args: string[], sentinel = false): Promise<Node> {
    const nodeDir = join(dir, name);
    await mkdir(nodeDir);
    const conf = join(nodeDir, 'redis.conf');
    // Sentinels rewrite their config file; plain servers get theirs on the command line.
    await writeFile(conf, sentinel ? `${args.join('\n')}\n` : '');
    const argv = sentinel
      ? [conf, '--sentinel', '--port', String(port), '--bind', HOST, '--dir', nodeDir]
      : [conf, '--port', String(port), '--bind', HOST, '--dir', nodeDir, '--save', '', ...flags(args)];
    const child = spawn(REDIS_SERVER, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    children.push(child);
    child.once('exit', () => running.delete(child));
    let log = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        log += d.toString();
        if (/Ready to accept connections|Sentinel ID is/.test(log)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${log}`)));
    });
    await ready;
    return { host: HOST, port, child };
  }

  return {
    dir,
    start,
    async dispose() {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(
        children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null)),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `['appendonly yes']` → `['--appendonly', 'yes']`. */
function flags(directives: string[]): string[] {
  return directives.flatMap((d) => {
    const [name = '', ...rest] = d.split(' ');
    return [`--${name}`, ...rest];
  });
}

async function ask<T>(node: Node, fn: (r: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    retryStrategy: () => null,
    ...node.access,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

export interface SentinelGroup {
  master: string;
  primary: Node;
  replica: Node;
  sentinels: Node[];
  /** `REDIS_SENTINELS` value for this group. */
  sentinelList: string;
  /** The address the sentinels name as primary now. */
  primaryAddress(): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * One primary, one replica and three sentinels (quorum 2) on spare loopback
 * ports. Resolves once the replica is in sync and every sentinel knows the
 * replica and the two other sentinels, so a failover can happen at once.
 */
export async function startSentinelGroup(master = 'mymaster'): Promise<SentinelGroup> {
  const area = await scratch('sentinel');
  try {
    const primary = await area.start('primary', await sparePort(), ['appendonly no']);
    const replica = await area.start('replica', await sparePort(), [`replicaof ${HOST} ${primary.port}`]);
    await until(
      async () => /master_link_status:up/.test(await ask(replica, (r) => r.info('replication'))),
      20_000,
      'the replica to sync',
    );
    const sentinels: Node[] = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await area.start(
          `sentinel-${i}`,
          await sparePort(),
          [
            `sentinel monitor ${master} ${HOST} ${primary.port} 2`,
            `sentinel down-after-milliseconds ${master} 2000`,
            `sentinel failover-timeout ${master} 10000`,
          ],
          true,
        ),
      );
    }
    for (const s of sentinels) {
      await until(
        async () =>
          ask(s, async (r) => {
            const others = (await r.call('SENTINEL', 'SENTINELS', master)) as unknown[];
            const replicas = (await r.call('SENTINEL', 'REPLICAS', master)) as unknown[];
            return others.length === 2 && replicas.length === 1;
          }),
        30_000,
        'the sentinels to know each other and the replica',
      );
    }
    const first = sentinels[0] as Node;
    return {
      master,
      primary,
      replica,
      sentinels,
      sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      primaryAddress: async () => {
        const [host, port] = (await ask(first, (r) =>
          r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', master),
        )) as string[];
        return `${host}:${port}`;
      },
      dispose: area.dispose,
    };
  } catch (err) {
    await area.dispose();
    throw err;
  }
}

export interface ClusterTopology {
  nodes: Node[];
  /** With `tls`: the CA that signed the nodes' certificate (for NODE_EXTRA_CA_CERTS). */
  caFile: string | undefined;
  /** `REDIS_CLUSTER_NODES` value, the nodes in start order. */
  seedList: string;
  /** Address of the primary serving the slot of `key`, as a node still running sees it. */
  ownerOf(key: string): Promise<string>;
  /** The nodes that are primaries now, as a node still running sees it. */
  primaries(): Promise<Node[]>;
  dispose(): Promise<void>;
}

const alive = (node: Node) => node.child.exitCode === null && node.child.signalCode === null;

/**
 * Three primaries sharing the 16384 slots, with `replicas` one replica each
 * (3+3), on spare loopback ports, bus ports included. With `tls`, clients and
 * the cluster bus speak TLS only (a test CA signs a certificate for
 * 127.0.0.1); with `password`, every node requires it. `nodeTimeoutMs` is how
 * long a silent primary stays a primary (a replica takes over soon after).
 */
export async function startCluster(
  opts: { tls?: boolean; password?: string; replicas?: boolean; nodeTimeoutMs?: number } = {},
): Promise<ClusterTopology> {
  const area = await scratch('cluster');
  try {
    const tls = opts.tls ? await testCertificates(area.dir) : undefined;
    const access: RedisOptions = {
      ...(tls ? { tls: { ca: await readFile(tls.ca) } } : {}),
      ...(opts.password ? { password: opts.password } : {}),
    };
    const nodes: Node[] = [];
    for (let i = 0; i < (opts.replicas ? 6 : 3); i++) {
      const port = await sparePort();
      const node = await area.start(`node-${i}`, port, [
        'cluster-enabled yes',
        `cluster-port ${await sparePort()}`,
        `cluster-node-timeout ${opts.nodeTimeoutMs ?? 5000}`,
        'appendonly no',
        ...(tls
          ? [
              'port 0',
              `tls-port ${port}`,
              'tls-cluster yes',
              'tls-auth-clients no',
              `tls-cert-file ${tls.cert}`,
              `tls-key-file ${tls.key}`,
              `tls-ca-cert-file ${tls.ca}`,
            ]
          : []),
        ...(opts.password ? [`requirepass ${opts.password}`, `masterauth ${opts.password}`] : []),
      ]);
      nodes.push({ ...node, access });
    }
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    await promisify(execFile)('redis-cli', [
      ...(tls ? ['--tls', '--cacert', tls.ca] : []),
      ...(opts.password ? ['--no-auth-warning', '-a', opts.password] : []),
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      opts.replicas ? '1' : '0',
      '--cluster-yes',
    ]);
    for (const node of nodes) {
      await until(
        async () => /cluster_state:ok/.test((await ask(node, (r) => r.call('CLUSTER', 'INFO'))) as string),
        30_000,
        'the cluster to be ok on every node',
      );
    }
    // A replica can take over only once it is in sync with its primary.
    for (const node of nodes) {
      await until(
        async () => {
          const info = await ask(node, (r) => r.info('replication'));
          return /role:master/.test(info) || /master_link_status:up/.test(info);
        },
        30_000,
        'every replica to be in sync',
      );
    }
    /** Asks the first node that answers (one just killed may not have exited yet). */
    const anyNode = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
      let last: unknown = new Error('no node of the cluster is running');
      for (const node of nodes.filter(alive)) {
        try {
          return await ask(node, fn);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    };
    return {
      nodes,
      caFile: tls?.ca,
      seedList: addresses.join(','),
      ownerOf: (key) =>
        anyNode(async (r) => {
          const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key));
          const ranges = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
          const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
          if (!owner) throw new Error(`no node serves slot ${slot}`);
          return `${owner[2][0]}:${owner[2][1]}`;
        }),
      primaries: async () => {
        const lines = String(await anyNode((r) => r.call('CLUSTER', 'NODES'))).split('\n');
        // `<id> <ip:port@bus> <flags> …`: a primary that is not marked failed.
        const ports = lines
          .map((l) => l.split(' '))
          .filter(([, , flags]) => /master/.test(flags ?? '') && !/fail/.test(flags ?? ''))
          .map(([, address]) => Number(address?.split('@')[0]?.split(':').pop()));
        return nodes.filter((n) => ports.includes(n.port));
      },
      dispose: area.dispose,
    };
  } catch (err) {
    await area.dispose();
    throw err;
  }
}

/** A throw-away CA and a certificate it signed for 127.0.0.1, made with openssl in `dir`. */
async function testCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = (args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sahut-test-ca'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ]),
  );
  await run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'node.key',
    '-out',
    'node.csr',
  ]);
  await run(
    [
      'x509',
      '-req',
      '-in',
      'node.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
    ].concat(['-extfile', 'san.ext', '-out', 'node.crt']),
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'node.crt'), key: join(dir, 'node.key') };
}
