import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { adminRoutes } from './admin-routes.ts';
import { bearerAuth } from './auth.ts';
import { ContactStore, type SeedContact } from './contact-store.ts';
import { RequestCounters } from './counters.ts';
import { loadDataFile, saveDataFile } from './data-file.ts';
import { installFaultHook } from './fault-hook.ts';
import { type FaultConfig, FaultSchedule } from './faults.ts';
import { codeForStatus, errorBody } from './http-errors.ts';
import { contactRoutes } from './routes.ts';
import type { StoredContact } from './validation.ts';

export const BASE_PATH = '/v1';

export interface SandboxOptions {
  /** The only key accepted in `Authorization: Bearer …`. */
  apiKey: string;
  faults?: FaultConfig;
  /** JSON file: loaded at start when it exists, written by `save()` and `close()`. */
  dataFile?: string;
  /** `true` for Fastify's default pino logger, or a logger instance; off by default. */
  logger?: boolean | FastifyBaseLogger;
  /** Drop `custom_attributes` from list items, as the contract's list example does. Default false. */
  listWithoutCustomAttributes?: boolean;
  /** List the newest contact first (the contract does not state an order). Default: creation order. */
  newestFirst?: boolean;
  /** Serve the test-only admin routes (delete a contact, merge two) under `/v1/_admin`. Default false. */
  admin?: boolean;
}

export interface ListenOptions {
  port?: number;
  host?: string;
}

export interface Sandbox {
  /** Not yet listening: tests may `inject()` or add routes before `listen`. */
  readonly app: FastifyInstance;
  /** Returns the base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  listen(opts?: ListenOptions): Promise<string>;
  /** Stops the server, then saves to `dataFile` if one is set. */
  close(): Promise<void>;
  save(): Promise<void>;
  /** Replaces the fault schedule (counters of the old one are discarded). */
  setFaults(faults: FaultConfig): void;
  /** Requests per route template, e.g. `{ 'GET /contacts': 12, 'POST /contacts': 3 }`. */
  counts(): Record<string, number>;
  /** Outcomes per route template: status codes, `reset` or `dropped`. */
  statusCounts(): Record<string, Record<string, number>>;
  resetCounts(): void;
  contacts(): StoredContact[];
  seed(contacts: readonly SeedContact[]): StoredContact[];
  clear(): void;
}

function routeOf(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  const path = url?.startsWith(BASE_PATH) ? url.slice(BASE_PATH.length) : '(unmatched)';
  return `${request.method} ${path}`;
}

export async function buildSandbox(opts: SandboxOptions): Promise<Sandbox> {
  if (!opts.apiKey) throw new Error('sandbox: apiKey is required');
  const store = new ContactStore({ newestFirst: opts.newestFirst ?? false });
  const counters = new RequestCounters();
  let schedule = new FaultSchedule(opts.faults);
  const { dataFile } = opts;
  if (dataFile) store.seed((await loadDataFile(dataFile)) ?? []);

  const logger = opts.logger ?? false;
  const app: FastifyInstance =
    typeof logger === 'boolean' ? Fastify({ logger }) : Fastify({ loggerInstance: logger });

  app.addHook('onRequest', async (request) => counters.arrived(routeOf(request)));
  app.addHook('onRequest', bearerAuth(opts.apiKey));
  installFaultHook(app, { schedule: () => schedule, counters, routeOf });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return reply
      .code(status)
      .send(errorBody(codeForStatus(status), status < 500 ? error.message : 'internal error'));
  });
  await app.register(
    contactRoutes({ store, listWithoutCustomAttributes: opts.listWithoutCustomAttributes ?? false }),
    {
      prefix: BASE_PATH,
    },
  );
  if (opts.admin) await app.register(adminRoutes(store), { prefix: BASE_PATH });

  const save = async () => {
    if (dataFile) await saveDataFile(dataFile, store.all());
  };

  return {
    app,
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('sandbox: not listening on TCP');
      const wildcard = host === '0.0.0.0' || host === '::';
      const shown = wildcard
        ? '127.0.0.1'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
      return `http://${shown}:${address.port}${BASE_PATH}`;
    },
    async close() {
      await app.close();
      await save();
    },
    save,
    setFaults(faults) {
      schedule = new FaultSchedule(faults);
    },
    counts: () => counters.byRoute(),
    statusCounts: () => counters.byOutcome(),
    resetCounts: () => counters.reset(),
    contacts: () => store.all(),
    seed: (contacts) => store.seed(contacts).map((c) => structuredClone(c)),
    clear: () => store.clear(),
  };
}

/** Builds a sandbox and listens on 127.0.0.1, port 0 unless given. */
export async function startSandbox(
  opts: SandboxOptions & ListenOptions,
): Promise<{ sandbox: Sandbox; baseUrl: string }> {
  const { port, host, ...rest } = opts;
  const sandbox = await buildSandbox(rest);
  const baseUrl = await sandbox.listen({ port, host });
  return { sandbox, baseUrl };
}
