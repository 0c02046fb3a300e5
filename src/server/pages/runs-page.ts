import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/index.ts';
import { parseQuery } from '../api/query.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';
import type { PageView } from './plugin.ts';
import { runsTable } from './tables.ts';

const querySchema = z.object({
  connection: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** GET /runs — recent runs with their outcome counts; each links to its audit rows. */
export function runsPageRoute(store: Store, view: PageView): RouteOptions {
  return {
    method: 'GET',
    url: '/runs',
    handler: async (request, reply) => {
      const { connection, limit } = parseQuery(querySchema, request.query);
      const runs = view(await store.listRuns({ limit, connection }));
      const title = connection ? `Runs of ${connection}` : 'Recent runs';
      return sendPage(reply, page('Runs', html`<h1>${title}</h1>${runsTable(runs)}`));
    },
  };
}
