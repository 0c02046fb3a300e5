import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import pg from 'pg';
import { type Connection, loadConnections } from '../../../src/config/index.ts';
import { buildSandbox, type FaultConfig, type Sandbox } from '../../../src/sandbox/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { API_KEY, deletePrefix, dropSchema, PG_URL, privateStore, REDIS_URL, uniqueName } from '../env.ts';
import type { Random } from './schedule.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

export interface ChaosDeployment {
  sandbox: Sandbox;
  /** The test's own view of the store (the processes open theirs from `env`). */
  store: Store;
  storeSchema: string;
  crm: pg.Pool;
  crmTable: string;
  connection: Connection;
  /** The environment every `sahut-sync` process of this deployment runs with. */
  env: Record<string, string>;
  /** Holds the first requests about `phone` until the process that sent them dies; `onHeld` is told at once. */
  holdSearches(phone: string, times: number, onHeld: () => void): { held(): number };
  /** Called on the arrival of every POST /contacts. */
  onPost(listener: () => void): void;
  dispose(): Promise<void>;
}

/**
 * What the chaos suite runs against: the compose demo's CRM table seeded with
 * `records` rows in a private schema (mixed phone formats, 2 % invalid), the
 * shipped mapping (owners included), a PostgreSQL store in another private
 * schema, a private queue prefix, and the sandbox as Sahut with seeded faults:
 * 5 % answered 503, some POSTs committed and then dropped, some slow answers.
 */
export async function chaosDeployment(records: number, random: Random, env: Record<string, string>) {
  const crmSchema = uniqueName('chaos-crm').replace(/-/g, '_');
  const crm = new pg.Pool({ connectionString: PG_URL, max: 2 });
  crm.on('error', () => {});
  const seed = await readFile(join(ROOT, 'config/compose/initdb/01-demo-crm.sql'), 'utf8');
  await crm.query(
    seed
      .replaceAll('crm.', `${crmSchema}.`)
      .replace('SCHEMA IF NOT EXISTS crm', `SCHEMA ${crmSchema}`)
      .replace('generate_series(1, 300)', `generate_series(1, ${records})`),
  );
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-chaos-'));
  const configPath = join(dir, 'sahut-sync.yaml');
  await writeFile(
    configPath,
    [
      'connections:',
      '  crm:',
      `    source: { type: postgres, url: "${PG_URL}", schema: ${crmSchema}, table: contacts }`,
      `    mapping: ${join(ROOT, 'config/mapping.example.yaml')}`,
      // Small windows: the durable cursor moves many times in one run.
      `    options: { pageSize: 100, windowSize: ${Math.max(100, Math.round(records / 6))} }`,
    ].join('\n'),
  );
  const s = await privateStore('postgres');
  const sandbox = await buildSandbox({ apiKey: API_KEY, faults: faults(random) });
  const hold = holdHook(sandbox);
  let postListener = () => {};
  sandbox.app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' && request.routeOptions.url === '/v1/contacts') postListener();
  });
  const baseUrl = await sandbox.listen();
  const prefix = uniqueName('chaos');
  const deployment: ChaosDeployment = {
    sandbox,
    store: s.store,
    storeSchema: s.env.DATABASE_SCHEMA as string,
    crm,
    crmTable: `${crmSchema}.contacts`,
    connection: loadConnections(configPath)[0] as Connection,
    env: {
      ...s.env,
      SAHUT_BASE_URL: baseUrl,
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      SYNC_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      ...env,
    },
    holdSearches: hold,
    onPost(listener) {
      postListener = listener;
    },
    async dispose() {
      await sandbox.close();
      await s.dispose();
      await crm.query(`DROP SCHEMA IF EXISTS ${crmSchema} CASCADE`).catch(() => dropSchema(crmSchema));
      await crm.end();
      await rm(dir, { recursive: true, force: true });
      await deletePrefix(prefix);
    },
  };
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
 * A hook after the fault hook: the first requests about the chosen phone (its
 * search, or its POST when the run matched against a scan of Sahut) never
 * answer and never reach the handler; the socket closes when the process that
 * sent them is killed (or its client gives up).
 */
function holdHook(sandbox: Sandbox) {
  let target: { phone: string; times: number; onHeld: () => void } | null = null;
  let held = 0;
  const about = (request: FastifyRequest, phone: string) =>
    request.routeOptions.url === '/v1/contacts' &&
    (request.method === 'GET'
      ? (request.query as { q?: string }).q === phone
      : (request.body as { phone?: string } | undefined)?.phone === phone);
  sandbox.app.addHook('preHandler', async (request, reply) => {
    if (!target || held >= target.times || !about(request, target.phone)) return;
    held++;
    target.onHeld();
    await once(request.raw.socket, 'close');
    reply.hijack();
  });
  return (phone: string, times: number, onHeld: () => void) => {
    target = { phone, times, onHeld };
    return { held: () => held };
  };
}
