import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Run } from '../../src/store/index.ts';
import { MAPPING_YAML } from '../../test/helpers/engine.ts';
import { CONNECTION, REGION, tempDir } from './engine.ts';
import { closeOnInterrupt } from './interrupt.ts';
import { insertCrmRows } from './pg-crm.ts';
import { SAHUT_API_KEY, type SahutProcess, startSahut } from './sahut.ts';
import { MAIN, type NodeProcess, spawnNode } from './spawn.ts';
import type { Watched } from './watch.ts';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface DeploymentOptions {
  /** Rows of the PostgreSQL CRM table (records crm-0 … crm-N-1). */
  records: number;
  /** Sahut's contacts before the run. */
  seed: { unrelated: number; matching: number };
  /** `options.match` of the connection; omitted = the connection default. */
  match?: 'search' | 'scan' | 'auto';
  directions?: ('crm-to-sahut' | 'sahut-to-crm')[];
  concurrency: number | undefined;
  redisUrl: string;
  /** Sahut's answer time per request; 0 unless given. */
  latencyMs?: number;
  /** Sahut's limit in requests/s, enforced by the stand-in and set as SAHUT_RATE_LIMIT; none unless given. */
  rate?: number;
  /** A second connection of this name on the same table, sahut-to-crm only, sharing the Sahut and its limit. */
  second?: string;
}

/**
 * What an operator runs: a CRM table in PostgreSQL, a PostgreSQL store, the
 * Sahut stand-in (not limiting) and `sahut-sync` processes started from this
 * checkout's CLI with Node 24. Each PostgreSQL connection carries an
 * application_name, so its backend's CPU can be found and counted.
 */
export interface Deployment {
  sahut: SahutProcess;
  workers: NodeProcess[];
  /** Starts `sahut-sync worker` processes and waits until each says it started. */
  startWorkers(count: number): Promise<void>;
  /** `sahut-sync run --once` (of the main connection unless named): the process, to be added to a watch, then awaited. */
  runOnce(direction: 'crm-to-sahut' | 'sahut-to-crm', connection?: string): NodeProcess;
  /** The last run the store holds for this direction. */
  lastRun(direction: 'crm-to-sahut' | 'sahut-to-crm'): Promise<Run>;
  /** The PostgreSQL backends a process (`worker-1`, `run-once-1`) opened to the store, for a watch. */
  storeBackends(process: string): Watched;
  /** The PostgreSQL backends of the CRM source, whichever process opened them. */
  crmBackends: Watched;
  close(): Promise<void>;
}

export async function openDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const id = randomUUID().slice(0, 8);
  const app = (role: string) => `bench-${id}-${role}`;
  const url = (role: string) => `${PG_URL}?application_name=${app(role)}`;
  const crmSchema = `bench_${id}_crm`;
  const storeSchema = `bench_${id}_store`;
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    forget();
    for (const step of undo.splice(0).reverse()) await step().catch(() => {});
  };
  const forget = closeOnInterrupt(close);
  try {
    const dir = await tempDir();
    undo.push(() => rm(dir, { recursive: true, force: true }));
    const admin = new pg.Client({ connectionString: url('admin') });
    await admin.connect();
    undo.push(() => admin.end());
    undo.push(() => admin.query(`DROP SCHEMA IF EXISTS ${crmSchema}, ${storeSchema} CASCADE`));
    await insertCrmRows(admin, crmSchema, opts.records);
    const store = await openStore({ kind: 'postgres', url: url('admin'), schema: storeSchema });
    undo.push(() => store.close());
    await store.migrate();

    const sahut = await startSahut({ rate: opts.rate ?? null, latencyMs: opts.latencyMs ?? 0 });
    undo.push(() => sahut.close());
    await sahut.seed(opts.seed);

    await writeFile(join(dir, 'mapping.yaml'), MAPPING_YAML);
    const options = opts.match ? `\n    options: { match: ${opts.match} }` : '';
    const connections = [
      'connections:',
      `  ${CONNECTION}:`,
      `    source: { type: postgres, url: "${url('crm')}", schema: ${crmSchema}, table: contacts }`,
      '    mapping: mapping.yaml',
      `    directions: [${(opts.directions ?? ['crm-to-sahut']).join(', ')}]${options}`,
      ...(opts.second
        ? [
            `  ${opts.second}:`,
            `    source: { type: postgres, url: "${url('crm')}", schema: ${crmSchema}, table: contacts }`,
            '    mapping: mapping.yaml',
            '    directions: [sahut-to-crm]',
          ]
        : []),
    ];
    await writeFile(join(dir, 'sahut-sync.yaml'), `${connections.join('\n')}\n`);
    const env: Record<string, string> = {
      SAHUT_BASE_URL: sahut.baseUrl,
      SAHUT_API_KEY,
      SAHUT_RATE_LIMIT: String(opts.rate ?? 10_000),
      REDIS_URL: opts.redisUrl,
      QUEUE_PREFIX: app('q'),
      DATABASE_URL: url('store'), // replaced per process, see `envOf`
      DATABASE_SCHEMA: storeSchema,
      SYNC_CONFIG: join(dir, 'sahut-sync.yaml'),
      DEFAULT_PHONE_REGION: REGION,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...(opts.concurrency ? { WORKER_CONCURRENCY: String(opts.concurrency) } : {}),
    };
    // Each process names its store connections, so their backends' CPU is told apart.
    const envOf = (name: string) => ({ ...env, DATABASE_URL: url(`store-${name}`) });
    const workers: NodeProcess[] = [];
    undo.push(() => Promise.all(workers.map((w) => w.stop())));
    let runs = 0;
    return {
      sahut,
      workers,
      async startWorkers(count) {
        const names = Array.from({ length: count }, (_, i) => `worker-${workers.length + i + 1}`);
        const started = names.map((name) => spawnNode(MAIN, ['worker'], envOf(name), dir, name));
        workers.push(...started);
        await Promise.all(started.map((w) => w.waitFor('"worker started"')));
      },
      runOnce(direction, connection = CONNECTION) {
        const args = ['run', '--once', '--connection', connection, '--direction', direction];
        const name = `run-once-${++runs}`;
        const p = spawnNode(MAIN, args, envOf(name), dir, name);
        undo.push(() => p.stop());
        return p;
      },
      async lastRun(direction) {
        const [run] = await store.listRuns({ connection: CONNECTION, direction, limit: 1 });
        if (!run) throw new Error(`no ${direction} run in the store`);
        return run;
      },
      storeBackends: (process) => ({
        kind: 'pg',
        name: `PostgreSQL (store) for ${process}`,
        role: 'service',
        client: admin,
        appNames: [app(`store-${process}`)],
      }),
      crmBackends: {
        kind: 'pg',
        name: 'PostgreSQL (CRM)',
        role: 'service',
        client: admin,
        appNames: [app('crm')],
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
