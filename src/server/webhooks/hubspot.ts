import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config, Connection } from '../../config/index.ts';
import { verifyHubspotSignature } from '../../crm/index.ts';
import type { Logger } from '../../log/index.ts';
import { enqueueChangeRun } from '../../queue/index.ts';

export const HUBSPOT_WEBHOOK_PATH = '/webhooks/hubspot/:connection';
/** Events arriving within this long of the first join its run (as `notify` does). */
const DEBOUNCE_MS = 2000;

// HubSpot sends a JSON array of at most 100 events; only their kind is read here.
const eventsSchema = z
  .array(
    z
      .object({ subscriptionType: z.string(), objectId: z.union([z.number(), z.string()]).optional() })
      .loose(),
  )
  .min(1)
  .max(100);

export interface HubspotWebhookDeps {
  config: Readonly<Config>;
  connections: readonly Connection[];
  runs: Queue;
  log: Logger;
  /** The clock of the signature's 5-minute window (tests move it). */
  now?: () => number;
}

const connectionParams = z.object({ connection: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/) });

/** The URL HubSpot signed: as configured (a proxy may change it), else as this request arrived. */
const calledUrl = (request: FastifyRequest, configured: string | undefined) =>
  configured ?? `${request.protocol}://${request.host}${request.url}`;

/**
 * POST /webhooks/hubspot/<connection>: HubSpot's contact events for a hubspot connection with
 * `source.webhook`. The v3 signature is checked (5-minute window, constant-time compare) before
 * anything else; a forged or stale one is 401 and enqueues nothing. A valid delivery enqueues one
 * crm-to-sahut run of the connection, which the events of the next seconds join: a burst of
 * 1,000 events makes one run. The run reads from its cursor; the events only say "now".
 */
export function hubspotWebhooks(deps: HubspotWebhookDeps) {
  const rt = {
    config: deps.config,
    connection: (name: string) => {
      const found = deps.connections.find((c) => c.name === name);
      if (!found) throw new Error(`no connection ${name}`);
      return found;
    },
    queues: { runs: deps.runs },
  };
  return async (scope: FastifyInstance): Promise<void> => {
    // The signature covers the body as sent: keep it as text.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(HUBSPOT_WEBHOOK_PATH, async (request, reply) => {
      const params = connectionParams.safeParse(request.params);
      const connection = params.success
        ? deps.connections.find((c) => c.name === params.data.connection)
        : undefined;
      if (!connection || connection.source.type !== 'hubspot' || !connection.source.webhook)
        return reply.code(404).send({ error: 'no hubspot connection with webhooks by that name' });
      const { webhook } = connection.source;
      const header = (name: string) => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const verdict = verifyHubspotSignature(
        {
          method: 'POST',
          url: calledUrl(request, webhook.url),
          rawBody,
          signature: header('x-hubspot-signature-v3'),
          timestamp: header('x-hubspot-request-timestamp'),
        },
        webhook.clientSecret,
        deps.now?.(),
      );
      if (verdict !== 'ok') {
        deps.log.warn(
          { connection: connection.name, verdict },
          'HubSpot webhook refused: signature not valid',
        );
        return reply.code(401).send({
          error: verdict === 'stale' ? 'request timestamp outside the 5-minute window' : 'invalid signature',
        });
      }
      let events: z.infer<typeof eventsSchema>;
      try {
        events = eventsSchema.parse(JSON.parse(rawBody));
      } catch {
        return reply.code(400).send({ error: 'expected a JSON array of 1 to 100 HubSpot events' });
      }
      if (!connection.directions.includes('crm-to-sahut'))
        return reply.code(200).send({ ignored: events.length });
      await enqueueChangeRun(rt, connection.name, DEBOUNCE_MS);
      return reply.code(200).send({ received: events.length });
    });
  };
}
