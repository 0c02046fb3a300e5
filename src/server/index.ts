import type { FastifyInstance } from 'fastify';
import { buildApp } from './build.ts';
import type { ServerDeps } from './deps.ts';

export type { ServerDeps } from './deps.ts';
export type { ErrorBody, ErrorCode } from './errors/catalogue.ts';
export { ERRORS } from './errors/catalogue.ts';
export { type HttpServer, startHttp } from './start.ts';

/** The app with every plugin registered, not listening (tests use `inject()`). */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  return buildApp(deps, deps.config.http.host);
}
