import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hubspotError, type PolicyName, rateLimitBody } from './errors.ts';
import type { Limits } from './limits.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
export const READ_SCOPE = 'crm.objects.contacts.read';
export const WRITE_SCOPE = 'crm.objects.contacts.write';
export const SCHEMA_SCOPE = 'crm.schemas.contacts.read';
const isSearch = (request: FastifyRequest) =>
  request.method === 'POST' && request.url.split('?')[0]?.endsWith('/search') === true;
const isRead = (request: FastifyRequest) =>
  request.method === 'GET' || isSearch(request) || request.url.includes('/batch/read');

/** `Authorization: Bearer <token>` (401 otherwise), then the token's scopes (403 MISSING_SCOPES). */
export function tokenGuard(token: string, scopes: () => readonly string[]) {
  const expected = digest(`Bearer ${token}`);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = request.headers.authorization;
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      await reply
        .code(401)
        .send(
          hubspotError(
            'INVALID_AUTHENTICATION',
            'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
          ),
        );
      return;
    }
    if (!request.url.startsWith('/crm/')) return;
    const needed = request.url.startsWith('/crm/v3/properties')
      ? SCHEMA_SCOPE
      : isRead(request)
        ? READ_SCOPE
        : WRITE_SCOPE;
    if (!scopes().includes(needed))
      await reply.code(403).send(
        hubspotError(
          'MISSING_SCOPES',
          "This app hasn't been granted all required scopes to make this call.",
          {
            errors: [
              {
                message: `One or more of the following scopes are required.`,
                context: { requiredGranularScopes: [needed] },
              },
            ],
          },
        ),
      );
  };
}

export interface StormState {
  /** Requests still to be answered 429 whatever the counters say. */
  remaining: number;
}

/** The app's limits: search against its per-second window, the rest against the 10-second one and the day. */
export function limitGuard(
  limits: () => Limits,
  storm: StormState,
  onRejected: (policy: PolicyName) => void,
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const search = isSearch(request);
    let policy = limits().admit(search);
    if (policy === null && storm.remaining > 0) {
      storm.remaining -= 1;
      policy = search ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING';
    }
    if (policy !== null) {
      onRejected(policy);
      await reply.code(429).send(rateLimitBody(policy));
      return;
    }
    // Search responses carry no rate-limit headers, as HubSpot's do not.
    if (!search) reply.headers(limits().headers());
  };
}
