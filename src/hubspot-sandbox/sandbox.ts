import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { RequestCounters } from '../sandbox/counters.ts';
import { type Contact, type ContactEvent, ContactStore, type SeedInput } from './contacts.ts';
import { hubspotError, type PolicyName } from './errors.ts';
import { type FaultSettings, Faults } from './faults.ts';
import { limitGuard, READ_SCOPE, SCHEMA_SCOPE, type StormState, tokenGuard, WRITE_SCOPE } from './guards.ts';
import { type Arrivals, DEFAULT_LIMITS, type LimitCounters, type LimitSettings, Limits } from './limits.ts';
import { CONTACTS, contactRoutes } from './routes.ts';
import { type DeliveryStats, WebhookSender, type WebhookSettings } from './webhooks.ts';

export interface HubspotSandboxOptions {
  /** The private app's access token, the only one accepted. */
  token: string;
  /** Granted scopes; read and write of contacts unless given. */
  scopes?: readonly string[];
  /** Custom contact properties the account has (writing an unknown property is a 400, as in HubSpot). */
  customProperties?: readonly string[];
  /** Region of national phone numbers in the calculated phone properties. Default ID. */
  region?: CountryCode;
  /** How long a write stays invisible to search. Default 0 (HubSpot: "a few moments"). */
  indexLagMs?: number;
  limits?: Partial<LimitSettings>;
  faults?: FaultSettings;
  webhook?: WebhookSettings;
  logger?: boolean;
  now?: () => number;
}

export interface HubspotSandbox {
  readonly app: FastifyInstance;
  /** Returns the base URL to give the connector as `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  /** Direct access, as a person editing in HubSpot's UI (no limits counted). */
  store: ContactStore;
  seed(inputs: readonly SeedInput[]): Contact[];
  setFaults(faults: FaultSettings): void;
  /** The next `requests` admitted requests are answered 429 (a storm beyond the counters). */
  storm(requests: number): void;
  setIndexLag(ms: number): void;
  setLimits(limits: Partial<LimitSettings>): void;
  limitCounters(): LimitCounters;
  /** When each request the limits accepted arrived, search and the rest apart. */
  limitArrivals(): Arrivals;
  /** Requests per route template and their outcomes. */
  counts(): Record<string, number>;
  statusCounts(): Record<string, Record<string, number>>;
  resetCounts(): void;
  /** Sends contact events to this URL from now on (or stops, with undefined). */
  setWebhook(settings: WebhookSettings | undefined): void;
  webhookStats(): DeliveryStats;
  /** Resolves once queued webhook deliveries were made (or given up). */
  settleWebhooks(): Promise<void>;
}

const tokenInfoSchema = z.object({ tokenKey: z.string().min(1) });

const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? '(unmatched)'}`;

/** A local stand-in for HubSpot's CRM contacts API, with its limits, failure modes and webhooks. */
export async function buildHubspotSandbox(opts: HubspotSandboxOptions): Promise<HubspotSandbox> {
  if (!opts.token) throw new Error('hubspot sandbox: token is required');
  const now = opts.now ?? Date.now;
  const scopes = [...(opts.scopes ?? [READ_SCOPE, WRITE_SCOPE, SCHEMA_SCOPE])];
  let sender = opts.webhook ? new WebhookSender(opts.webhook) : undefined;
  const onEvent = (event: ContactEvent) => sender?.push(event);
  const store = new ContactStore({
    region: opts.region ?? 'ID',
    customProperties: opts.customProperties ?? [],
    indexLagMs: opts.indexLagMs ?? 0,
    now,
    onEvent,
  });
  let limits = new Limits({ ...DEFAULT_LIMITS, ...opts.limits }, now);
  let faults = new Faults(opts.faults);
  const storm: StormState = { remaining: 0 };
  const counters = new RequestCounters();

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  app.addHook('onRequest', async (request) => counters.arrived(routeOf(request)));
  app.addHook('onResponse', async (request, reply) => counters.ended(routeOf(request), reply.statusCode));
  app.addHook(
    'onRequest',
    tokenGuard(opts.token, () => scopes),
  );
  app.addHook(
    'onRequest',
    limitGuard(
      () => limits,
      storm,
      (_: PolicyName) => {},
    ),
  );
  app.addHook('onRequest', async (_request, reply) => {
    await faults.apply(reply);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(hubspotError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return reply
      .code(status)
      .send(
        hubspotError(
          status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR',
          status < 500 ? error.message : 'internal error',
        ),
      );
  });
  await app.register(contactRoutes(store));
  app.get('/crm/v3/properties/contacts', async () => ({ results: store.propertyDefinitions() }));
  // Private apps can ask which scopes their token carries.
  app.post('/oauth/v2/private-apps/get/access-token-info', async (request, reply) => {
    const body = tokenInfoSchema.safeParse(request.body);
    if (!body.success || body.data.tokenKey !== opts.token)
      return reply.code(400).send(hubspotError('VALIDATION_ERROR', 'Invalid token'));
    return { userId: 1, hubId: 1234567, appId: 7654321, scopes };
  });

  return {
    app,
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('hubspot sandbox: not listening on TCP');
      return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address}:${address.port}`;
    },
    async close() {
      await sender?.close();
      await app.close();
    },
    store,
    seed: (inputs) => store.seed(inputs),
    setFaults(settings) {
      faults = new Faults(settings);
    },
    storm(requests) {
      storm.remaining = requests;
    },
    setIndexLag: (ms) => store.setIndexLag(ms),
    setLimits(settings) {
      limits = new Limits({ ...limits.settings, ...settings }, now);
    },
    limitCounters: () => limits.counters(),
    limitArrivals: () => limits.arrivals(),
    counts: () => counters.byRoute(),
    statusCounts: () => counters.byOutcome(),
    resetCounts() {
      counters.reset();
      limits.reset();
    },
    setWebhook(settings) {
      sender = settings ? new WebhookSender(settings) : undefined;
    },
    webhookStats: () => sender?.stats() ?? { posts: 0, events: 0, outcomes: {} },
    settleWebhooks: async () => sender?.settle(),
  };
}

export { CONTACTS };
