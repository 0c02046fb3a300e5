import fastifyBasicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, httpError } from '../errors/catalogue.ts';
import { safeEqual } from './safe-equal.ts';
import type { AuthSettings } from './settings.ts';

const REALM = 'sahut-sync';

/**
 * Puts every route of `scope` (an encapsulated plugin) behind the configured
 * authentication; register it before the routes it protects. A refusal is
 * answered here, not thrown, so every route (Bull Board's included, which
 * has its own error handler) answers 401 alike.
 */
export async function guardScope(scope: FastifyInstance, auth: AuthSettings): Promise<void> {
  if (auth.mode === 'basic') {
    await scope.register(fastifyBasicAuth, {
      validate: async (user, password) => {
        // Both compared every time, so a wrong user costs as long as a wrong password.
        const userOk = safeEqual(user, auth.user);
        const passwordOk = safeEqual(password, auth.password);
        if (!(userOk && passwordOk)) throw httpError('UNAUTHORIZED');
      },
      authenticate: { realm: REALM },
    });
    const check = scope.basicAuth;
    scope.addHook('onRequest', (request, reply, done) => {
      // The plugin has already set WWW-Authenticate when it refuses.
      check.call(scope, request, reply, (err?: Error) => (err ? unauthorized(reply) : done()));
    });
  } else if (auth.mode === 'bearer') {
    scope.addHook('onRequest', async (request, reply) => {
      const token = bearerToken(request);
      if (token !== undefined && safeEqual(token, auth.token)) return;
      reply.header('WWW-Authenticate', `Bearer realm="${REALM}"`);
      return unauthorized(reply);
    });
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')?.[1];
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).send(errorBody('UNAUTHORIZED'));
}
