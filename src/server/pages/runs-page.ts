import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/index.ts';
import { parseQuery } from '../api/query.ts';
import { type ChartAssets, recentRunsByPair } from '../charts/index.ts';
import { runsFigure } from './charts.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';
import type { PageView } from './plugin.ts';
import { runsTable } from './tables.ts';

const querySchema = z.object({
  connection: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * GET /runs — recent runs with their outcome counts, each linking to its page;
 * above them, for each connection and direction listed, a chart of its last runs.
 */
export function runsPageRoute(store: Store, view: PageView, charts: ChartAssets['scripts']): RouteOptions {
  return {
    method: 'GET',
    url: '/runs',
    handler: async (request, reply) => {
      const { connection, limit } = parseQuery(querySchema, request.query);
      const runs = view(await store.listRuns({ limit, connection }));
      const series = view(await recentRunsByPair(store, runs));
      const title = connection ? `Runs of ${connection}` : 'Recent runs';
      const content = html`<h1>${title}</h1>${series.map(runsFigure)}<h2>Runs</h2>${runsTable(runs)}`;
      return sendPage(reply, page('Runs', content, series.length ? charts : undefined));
    },
  };
}
