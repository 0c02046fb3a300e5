import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { type Connection, loadConnections } from '../../../src/config/index.ts';
import { buildSandbox, type FaultConfig, type Sandbox } from '../../../src/sandbox/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { runCli } from '../cli.ts';
import { API_KEY, deletePrefix, privateStore, REDIS_URL, uniqueName } from '../env.ts';
import { type SentinelGroup, startSentinelGroup } from '../redis-topology.ts';
import { forgetMysqlChanges } from '../soak/deployment.ts';
import { type ChaosCrm, chaosCrm } from './crm.ts';
import { hubspotChaosCrm } from './crm-hubspot.ts';
import type { ChaosParams } from './params.ts';
import type { Random } from './schedule.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/** The header the test's own agents send: their requests are never held. */
export const AGENT_HEADER = 'x-chaos-agent';

export interface JournalEntry {
  at: number;
  who: 'agent' | 'sync';
  method: string;
  /** A PUT's body. */
  body?: Record<string, unknown>;
}

export const describeEntry = (j: JournalEntry) =>
  `${new Date(j.at).toISOString().slice(11, 23)} ${j.who} ${j.method}${j.body ? ` ${JSON.stringify(j.body)}` : ''}`;

export interface ChaosDeployment {
  params: ChaosParams;
  sandbox: Sandbox;
  /** The test's own view of the store (the processes open theirs from `env`). */
  store: Store;
  /** The PostgreSQL schema or the SQLite file of the store. */
  storeName: string;
  crm: ChaosCrm;
  connection: Connection;
  /** The environment every `sahut-sync` process of this deployment runs with. */
  env: Record<string, string>;
  /** A client of the deployment's Redis (through the sentinels when there are). */
  redis(): Redis;
  /** The Sentinel group, with `params.failover`. */
  sentinel: SentinelGroup | null;
  /** Holds the first `times` requests `matches` picks until the process that sent them dies; `onHeld` is told at once. */
  holdRequests(
    matches: (request: FastifyRequest) => boolean,
    times: number,
    onHeld: () => void,
  ): { held(): number };
  /** What reached Sahut about each contact (reads and writes by id, agents' and ours), oldest first. */
  journal(sahutId: string): JournalEntry[];
  /** The contacts the sync created (its `POST /contacts` that reached the handler), oldest first. */
  posts(): { at: number; phone: unknown; email: unknown }[];
  /** Called on the arrival of every request but the agents'. */
  onRequest(listener: (request: FastifyRequest) => void): void;
  dispose(): Promise<void>;
}

/**
 * What the chaos suite runs against: the compose demo's CRM table seeded with
 * `records` rows (PostgreSQL or MariaDB; mixed phone formats, 2 % invalid),
 * the shipped mapping (owners included), or the same people in a HubSpot
 * sandbox with its faults (crm-hubspot.ts) and config/mapping.hubspot.example.yaml, a PostgreSQL or SQLite store, a
 * private queue prefix on the local Redis or on a Sentinel group of its own,
 * and the sandbox as Sahut with seeded faults: 5 % answered 503, some POSTs
 * committed and then dropped, some slow answers. Two-way parameters give the
 * connection both directions and walk-ins tagged `lead` (`createInCrm`).
 */
export async function chaosDeployment(
  params: ChaosParams,
  random: Random,
  env: Record<string, string>,
): Promise<ChaosDeployment> {
  const crm =
    params.crm === 'hubspot'
      ? await hubspotChaosCrm(params.records, random)
      : await chaosCrm(params.crm, params.records);
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-chaos-'));
  const configPath = join(dir, 'sahut-sync.yaml');
  const twoWay = params.direction !== 'crm-to-sahut';
  // Unique: the delete trigger's name, and MariaDB's shared tombstone table, are keyed by it.
  const name = `chaos-${randomUUID().slice(0, 8)}`;
  await writeFile(
    configPath,
    [
      'connections:',
      `  ${name}:`,
      `    source: ${crm.sourceYaml}`,
      `    mapping: ${crm.mapping ?? join(ROOT, 'config/mapping.example.yaml')}`,
      `    directions: ${twoWay ? '[crm-to-sahut, sahut-to-crm]' : '[crm-to-sahut]'}`,
      // Small windows: the durable cursor moves many times in one run.
      `    options: { pageSize: ${crm.pageSize ?? 100}, windowSize: ${Math.max(100, Math.round(params.records / 6))}${
        twoWay ? `, createInCrm: ${crm.createInCrm ?? '{ tags: [lead], defaults: { first_name: "" } }'}` : ''
      } }`,
    ].join('\n'),
  );
  const s = await privateStore(params.store);
  const sentinel = params.failover ? await startSentinelGroup() : null;
  const sandbox = await buildSandbox({ apiKey: API_KEY, admin: true, faults: faults(random) });
  const hold = holdHook(sandbox);
  let requestListener: (request: FastifyRequest) => void = () => {};
  sandbox.app.addHook('onRequest', async (request) => {
    if (!request.headers[AGENT_HEADER]) requestListener(request);
  });
  const journal = new Map<string, JournalEntry[]>();
  const posts: { at: number; phone: unknown; email: unknown }[] = [];
  // After the fault hook: only requests that reach Sahut's handler are written down.
  sandbox.app.addHook('preHandler', async (request) => {
    if (
      request.method === 'POST' &&
      request.routeOptions.url === '/v1/contacts' &&
      !request.headers[AGENT_HEADER]
    ) {
      const body = request.body as { phone?: unknown; email?: unknown } | undefined;
      posts.push({ at: Date.now(), phone: body?.phone ?? null, email: body?.email ?? null });
    }
    const id = (request.params as { id?: string } | undefined)?.id;
    if (!id) return;
    const entry: JournalEntry = {
      at: Date.now(),
      who: request.headers[AGENT_HEADER] ? 'agent' : 'sync',
      method: request.method,
      ...(request.method === 'PUT' ? { body: request.body as Record<string, unknown> } : {}),
    };
    journal.set(id, [...(journal.get(id) ?? []), entry]);
  });
  const baseUrl = await sandbox.listen();
  const prefix = uniqueName('chaos');
  const redisEnv: Record<string, string> = sentinel
    ? { REDIS_SENTINELS: sentinel.sentinelList, REDIS_SENTINEL_MASTER: sentinel.master }
    : { REDIS_URL };
  const redis = () =>
    sentinel
      ? new Redis({
          sentinels: sentinel.sentinels.map((n) => ({ host: n.host, port: n.port })),
          name: sentinel.master,
        })
      : new Redis(REDIS_URL);
  const deployment: ChaosDeployment = {
    params,
    sandbox,
    store: s.store,
    storeName: s.env.DATABASE_SCHEMA ?? (s.env.SQLITE_PATH as string),
    crm,
    connection: loadConnections(configPath)[0] as Connection,
    env: {
      ...s.env,
      ...redisEnv,
      SAHUT_BASE_URL: baseUrl,
      SAHUT_API_KEY: API_KEY,
      QUEUE_PREFIX: prefix,
      SYNC_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      ...env,
    },
    redis,
    sentinel,
    holdRequests: hold,
    journal: (sahutId) => journal.get(sahutId) ?? [],
    posts: () => [...posts],
    onRequest(listener) {
      requestListener = listener;
    },
    async dispose() {
      await sandbox.close();
      await s.dispose();
      await crm.drop();
      if (crm.kind === 'mariadb') await forgetMysqlChanges([name]);
      await rm(dir, { recursive: true, force: true });
      if (sentinel) await sentinel.dispose();
      else await deletePrefix(prefix);
    },
  };
  // Hard deletes leave tombstones (docs/deletions.md), as a team that deletes rows would set it up.
  // HubSpot keeps its own: the archived list.
  if (params.crm === 'hubspot') return deployment;
  const { code, output } = await runCli(['crm', 'install-trigger', '--connection', name], deployment.env);
  if (code !== 0) {
    await deployment.dispose();
    throw new Error(`crm install-trigger exited ${code}:\n${output}`);
  }
  return deployment;
}

/** The brief's faults, each rule with its own seed from the run's seed. */
export function faults(random: Random): FaultConfig {
  const seed = () => Math.floor(random() * 2 ** 31);
  return {
    latencyMs: 2,
    rules: [
      { route: 'POST /contacts', share: 0.04, seed: seed(), action: 'commit-then-drop' },
      { share: 0.05, seed: seed(), action: 503 },
      { share: 0.02, seed: seed(), action: { delayMs: 250 } },
    ],
  };
}

/**
 * A hook after the fault hook: the first requests `matches` picks never answer
 * and never reach the handler; the socket closes when the process that sent
 * them is killed (or its client gives up). Agents' requests are never held.
 */
function holdHook(sandbox: Sandbox) {
  let target: { matches: (request: FastifyRequest) => boolean; times: number; onHeld: () => void } | null =
    null;
  let held = 0;
  sandbox.app.addHook('preHandler', async (request, reply) => {
    if (!target || held >= target.times || request.headers[AGENT_HEADER]) return;
    if (!target.matches(request)) return;
    held++;
    target.onHeld();
    await once(request.raw.socket, 'close');
    reply.hijack();
  });
  return (matches: (request: FastifyRequest) => boolean, times: number, onHeld: () => void) => {
    held = 0;
    target = { matches, times, onHeld };
    return { held: () => held };
  };
}

/** A request about `phone`: its search, or its POST when the run matched against a scan of Sahut. */
export const aboutPhone = (phone: string) => (request: FastifyRequest) =>
  request.routeOptions.url === '/v1/contacts' &&
  (request.method === 'GET'
    ? (request.query as { q?: string }).q === phone
    : (request.body as { phone?: string } | undefined)?.phone === phone);

/** The contact a request reads by id (every sahut-to-crm record job starts with one), else null. */
export const contactRead = (request: FastifyRequest): string | null =>
  request.method === 'GET' && request.routeOptions.url === '/v1/contacts/:id'
    ? ((request.params as { id?: string }).id ?? null)
    : null;

/** A record job's read of contact `id` (every sahut-to-crm record job starts with it). */
export const readOf = (id: string) => (request: FastifyRequest) =>
  request.method === 'GET' &&
  request.routeOptions.url === '/v1/contacts/:id' &&
  (request.params as { id?: string }).id === id;
