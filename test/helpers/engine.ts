import type { Config } from '../../src/config/index.ts';
import { type Connection, syncOptionsSchema } from '../../src/config/index.ts';
import type { CrmConnector } from '../../src/crm/index.ts';
import type { Direction } from '../../src/domain/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { parseMapping } from '../../src/mapping/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import {
  createRuntime,
  enqueueRun,
  type Runtime,
  startWorkers,
  type Workers,
  waitForRun,
} from '../../src/queue/index.ts';
import { buildSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.ts';
import type { Store } from '../../src/store/index.ts';
import { API_KEY, deletePrefix, privateStore, type StoreKind, testConfig, uniqueName } from './env.ts';

export const MAPPING_YAML = `
fields:
  name:    { from: name, owner: both }
  phone:   { from: phone, owner: both }
  email:   { from: email, owner: both }
  company: { from: company, owner: both }
  tags:    { from: tags, transform: split, separator: ";", owner: both }
  custom_attributes.tier: { from: tier, owner: both }
`;

export function testConnection(name = 'crm', options: Record<string, unknown> = {}): Connection {
  return {
    name,
    source: { type: 'file', path: '/dev/null', format: 'csv', idField: 'id' } as Connection['source'],
    mapping: parseMapping(MAPPING_YAML, 'yaml'),
    directions: ['crm-to-sahut'],
    schedule: undefined,
    options: syncOptionsSchema.parse(options),
  };
}

/**
 * Ignores the cursor, like a full export file dropped again: every record is read on every run.
 * Only for sources smaller than one window (the window cursors are ignored too).
 */
export function fullScan(connector: CrmConnector): CrmConnector {
  return { ...connector, read: (_cursor, opts) => connector.read(null, opts) };
}

export interface Node {
  rt: Runtime;
  workers: Workers;
  close(): Promise<void>;
}

/** One worker process's worth of runtime and workers, in this process. */
export function startNode(
  config: Readonly<Config>,
  store: Store,
  connections: Connection[],
  connectorFor?: (c: Connection) => CrmConnector,
  concurrency = 8,
): Node {
  const rt = createRuntime({
    config,
    connections,
    store,
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    ...(connectorFor ? { connectorFor } : {}),
  });
  const workers = startWorkers(rt, { concurrency });
  return {
    rt,
    workers,
    async close() {
      await workers.close(10_000);
      await rt.close();
    },
  };
}

/**
 * Runs one sync and waits for its end. Polls the job's state rather than using
 * `waitForRun`: its QueueEvents reads from `$` only once its XREAD reaches Redis,
 * after `waitUntilReady()`, so a run that finishes in that gap is never
 * reported (seen with fast runs of few records).
 */
export async function runOnce(node: Node, connection = 'crm', direction: Direction = 'crm-to-sahut') {
  const { job, runId } = await enqueueRun(node.rt, connection, direction);
  return waitForRun(node.rt, job, runId);
}

export interface EngineDeployment {
  sandbox: Sandbox;
  store: Store;
  config: Readonly<Config>;
  /** Starts a worker node of this deployment; it is closed by `dispose()`. */
  node(connections: Connection[], connectorFor: (c: Connection) => CrmConnector, concurrency?: number): Node;
  dispose(): Promise<void>;
}

/** Sahut (the sandbox), a private store of the given kind and a private queue prefix on the local Redis. */
export async function engineDeployment(
  kind: StoreKind,
  sandbox: Partial<SandboxOptions> = {},
  /** Runs before the sandbox listens (Fastify takes hooks only then). */
  prepare?: (sandbox: Sandbox) => void,
): Promise<EngineDeployment> {
  const built = await buildSandbox({ apiKey: API_KEY, ...sandbox });
  prepare?.(built);
  const started = { sandbox: built, baseUrl: await built.listen() };
  const s = await privateStore(kind);
  const prefix = uniqueName('engine');
  const config = testConfig({ ...s.env, SAHUT_BASE_URL: started.baseUrl, QUEUE_PREFIX: prefix });
  const nodes: Node[] = [];
  return {
    sandbox: started.sandbox,
    store: s.store,
    config,
    node(connections, connectorFor, concurrency) {
      const n = startNode(config, s.store, connections, connectorFor, concurrency);
      nodes.push(n);
      return n;
    },
    async dispose() {
      for (const n of nodes.splice(0)) await n.close();
      await started.sandbox.close();
      await s.dispose();
      await deletePrefix(prefix);
    },
  };
}
