import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './http-errors.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** `onRequest` hook: `Authorization: Bearer <apiKey>` or 401. The body never echoes what was sent. */
export function bearerAuth(apiKey: string) {
  const expected = digest(`Bearer ${apiKey}`);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = request.headers.authorization;
    // Comparing fixed-length digests keeps the check constant-time whatever was sent.
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) return;
    await reply.code(401).send(errorBody('unauthorized', 'missing or invalid API key'));
  };
}
