import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, type Connection, loadConfig, syncOptionsSchema } from '../../src/config/index.ts';
import {
  type CrmConnector,
  type CrmRecord,
  createMemoryConnector,
  sourceSchema,
} from '../../src/crm/index.ts';
import { parseMapping } from '../../src/mapping/index.ts';
import { enqueueRun, waitForRun } from '../../src/queue/index.ts';
import { openStore, type Run, type Store } from '../../src/store/index.ts';
import { MAPPING_YAML, startNode } from '../../test/helpers/engine.ts';
import { closeOnInterrupt } from './interrupt.ts';
import { SAHUT_API_KEY, type SahutProcess, startSahut } from './sahut.ts';

/** Sahut's 10,000 req/s (the most SAHUT_RATE_LIMIT takes) is a limit the engine never reaches here. */
export const NOT_LIMITING = 10_000;
export const CONNECTION = 'bench';
export const REGION = 'ID';

export const tempDir = () => mkdtemp(join(tmpdir(), 'sahut-sync-bench-'));

export interface EngineOptions {
  /** Sahut's limit in requests/s, enforced by the stand-in and configured; null: Sahut is not limiting. */
  rate: number | null;
  latencyMs?: number;
  /** WORKER_CONCURRENCY; undefined keeps the default. */
  concurrency: number | undefined;
  redisUrl: string;
}

/**
 * The real engine in this process: the Sahut stand-in in a child process, a
 * SQLite store in a temp dir, the BullMQ runtime and workers under a private
 * Redis prefix, and a memory CRM connector.
 */
export interface BenchEngine {
  sahut: SahutProcess;
  store: Store;
  config: Readonly<Config>;
  connection: Connection;
  crm: ReturnType<typeof createMemoryConnector>;
  /** One CRM → Sahut run; with `fullScan` the cursor is ignored and every record is read again. */
  run(opts?: { fullScan?: boolean }): Promise<Run>;
  /** Removes everything it made (temp dir, Sahut stand-in, workers); safe to call twice. */
  close(): Promise<void>;
}

export function benchConnection(): Connection {
  return {
    name: CONNECTION,
    // Never read: the runtime is handed the memory connector instead of building one from `source`.
    source: sourceSchema.parse({ type: 'file', path: 'bench.csv' }),
    mapping: parseMapping(MAPPING_YAML, 'yaml'),
    directions: ['crm-to-sahut'],
    schedule: undefined,
    options: syncOptionsSchema.parse({}),
  };
}

/**
 * `sqlitePath` opens a store someone else prepared (and will remove); without
 * it the engine makes its own in a temp dir.
 */
export async function openBenchEngine(
  opts: EngineOptions,
  records: CrmRecord[],
  sqlitePath?: string,
): Promise<BenchEngine> {
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    forget();
    const errors: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => errors.push(err));
    if (errors.length) throw new AggregateError(errors, 'bench cleanup failed');
  };
  const forget = closeOnInterrupt(close);
  try {
    const sahut = await startSahut({ rate: opts.rate, latencyMs: opts.latencyMs ?? 0 });
    undo.push(() => sahut.close());
    let path = sqlitePath;
    if (!path) {
      const dir = await tempDir();
      undo.push(() => rm(dir, { recursive: true, force: true }));
      path = join(dir, 'store.sqlite');
    }
    // The bench's Redis is its own and goes away with it: no keys to delete.
    const config = loadConfig({
      SAHUT_API_KEY,
      SAHUT_BASE_URL: sahut.baseUrl,
      // The deployment is configured to the limit Sahut enforces.
      SAHUT_RATE_LIMIT: String(opts.rate ?? NOT_LIMITING),
      REDIS_URL: opts.redisUrl,
      QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
      SQLITE_PATH: path,
      DEFAULT_PHONE_REGION: REGION,
      ...(opts.concurrency ? { WORKER_CONCURRENCY: String(opts.concurrency) } : {}),
      LOG_LEVEL: 'silent',
    });
    const store = await openStore({ kind: 'sqlite', path });
    undo.push(() => store.close());
    await store.migrate();

    const connection = benchConnection();
    const crm = createMemoryConnector(records);
    // A full scan starts the run's first window from the beginning; later windows
    // must follow their cursor, or a source bigger than one window is read forever.
    let restart = false;
    const connector: CrmConnector = {
      ...crm,
      read(cursor, readOpts) {
        const from = restart ? null : cursor;
        restart = false;
        return crm.read(from, readOpts);
      },
    };
    const { rt, close: stopNode } = startNode(
      config,
      store,
      [connection],
      () => connector,
      config.worker.concurrency,
    );
    undo.push(stopNode);

    return {
      sahut,
      store,
      config,
      connection,
      crm,
      async run(runOpts = {}) {
        restart = runOpts.fullScan ?? false;
        const { job, runId } = await enqueueRun(rt, CONNECTION, 'crm-to-sahut');
        const run = await waitForRun(rt, job, runId);
        if (run.status !== 'succeeded') throw new Error(`run ${run.id} ended ${run.status}`);
        return run;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}
