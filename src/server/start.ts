import type { FastifyInstance } from 'fastify';
import { buildApp } from './build.ts';
import type { ServerDeps } from './deps.ts';

export interface HttpServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds and listens (defaults: HTTP_HOST, HTTP_PORT; port 0 picks a free port). */
export async function startHttp(deps: ServerDeps & { port?: number; host?: string }): Promise<HttpServer> {
  const host = deps.host ?? deps.config.http.host;
  const app = await buildApp(deps, host);
  try {
    await app.listen({ host, port: deps.port ?? deps.config.http.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (deps.port ?? deps.config.http.port);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, app, close: () => app.close() };
}
