import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { MAX_LINKS, recordHistory } from '../../search/index.ts';
import type { Store } from '../../store/index.ts';
import { parseQuery } from '../api/query.ts';
import { type ChartAssets, runTimeline } from '../charts/index.ts';
import { kindsFigure, throughputFigure } from './charts.ts';
import { href, html, type SafeHtml } from './html.ts';
import { page, sendPage } from './layout.ts';
import type { PageView } from './plugin.ts';
import { historyTable, linksTable } from './tables.ts';

const PAGE_SIZE = 50;

const querySchema = z.object({
  q: z.string().trim().max(200).optional(),
  run: z.string().trim().min(1).max(200).optional(),
  cursor: z
    .string()
    .regex(/^[1-9]\d{0,17}$/, 'expected the link of a previous page')
    .optional(),
});

/**
 * GET /audit — one search box for a phone, email, name, CRM id or Sahut id
 * (whole or in part), and the whole history of the matching records; `?run=`
 * is a run's page instead: its throughput and attempts by kind, then its rows.
 */
export function auditPageRoute(
  store: Store,
  region: string,
  view: PageView,
  charts: ChartAssets['scripts'],
): RouteOptions {
  return {
    method: 'GET',
    url: '/audit',
    handler: async (request, reply) => {
      const { q, run, cursor } = parseQuery(querySchema, request.query);
      let content: SafeHtml;
      let drawn = false;
      if (run) {
        const [found, rows] = view(
          await Promise.all([store.getRun(run), store.queryAudit({ runId: run, limit: PAGE_SIZE, cursor })]),
        );
        // Charts on the run's first page only; older pages are for reading rows.
        const timeline = found && !cursor ? await runTimeline(store, found) : undefined;
        drawn = timeline !== undefined && Object.keys(timeline.totals).length > 0;
        content = html`<h1>Run <code>${run}</code></h1>
<p>${found ? `${found.connection} · ${found.direction} · ${found.status}` : 'Unknown run.'} <a href="/runs">All runs</a></p>
${timeline && drawn ? html`${throughputFigure(timeline)}${kindsFigure(timeline)}<h2>Audit rows</h2>` : ''}
${historyTable(rows.rows)}${olderLink({ run }, rows.nextCursor)}`;
      } else if (q) {
        const history = view(await recordHistory(store, q, { limit: PAGE_SIZE, cursor, region }));
        const narrow = history.moreLinks
          ? html`<p id="more-links" class="muted">More than ${MAX_LINKS} records match; the first ${MAX_LINKS} are shown. Type more of the phone, email or name.</p>`
          : html``;
        content = html`${searchForm(q)}<h2>Linked records</h2>${linksTable(history.links)}${narrow}
<h2>History</h2>${historyTable(history.rows)}${olderLink({ q }, history.nextCursor)}`;
      } else {
        content = html`${searchForm('')}<p class="muted">Type a phone, email, name, CRM id or Sahut id, or part of a phone, email or name (<code>0812 3456</code>, <code>+62812</code>, <code>budi@</code>), to see every sync attempt of the records it matches.</p>`;
      }
      return sendPage(reply, page('Record history', content, drawn ? charts : undefined));
    },
  };
}

function searchForm(q: string): SafeHtml {
  return html`<h1>Record history</h1>
<form method="get" action="/audit" role="search"><input name="q" value="${q}" placeholder="Phone, email, name, CRM id or Sahut id" aria-label="Phone, email, name, CRM id or Sahut id" autofocus> <button type="submit">Search</button></form>`;
}

function olderLink(params: Record<string, string>, nextCursor: string | null): SafeHtml {
  if (!nextCursor) return html``;
  return html`<p><a id="older" rel="next" href="${href('/audit', { ...params, cursor: nextCursor })}">Older rows →</a></p>`;
}
