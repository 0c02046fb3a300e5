import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../log/index.ts';
import { maskPii } from '../../pii/index.ts';
import type { Store } from '../../store/index.ts';
import type { AttentionDeps } from '../attention/index.ts';
import { loadChartAssets } from '../charts/index.ts';
import type { ErrorRenderer } from '../errors/handler.ts';
import { useErrorHandler } from '../errors/handler.ts';
import { attentionPageRoute, registerActionForm } from './attention-page.ts';
import { auditPageRoute } from './audit-page.ts';
import { homePageRoute } from './home-page.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';
import { runsPageRoute } from './runs-page.ts';

const renderHtmlError: ErrorRenderer = (reply, body) =>
  sendPage(
    reply,
    page(body.error, html`<h1>${body.error}</h1><p class="error">${body.message}</p>`),
    body.statusCode,
  );

/** What a page shows of the data it read: as it is, or with phones, emails and names masked. */
export type PageView = <T>(data: T) => T;

/**
 * The server-rendered pages: sync health (home), the attention listing and its
 * actions' forms, record history, runs and a run's page (own plugin, so their
 * errors render as HTML), and the scripts that draw their charts.
 */
export async function registerAuditPages(
  scope: FastifyInstance,
  deps: { store: Store; log: Logger; region: string; redactPii: boolean; attention: AttentionDeps },
): Promise<void> {
  const view: PageView = deps.redactPii ? maskPii : (data) => data;
  const charts = await loadChartAssets();
  await scope.register(async (pages) => {
    useErrorHandler(pages, deps.log, renderHtmlError);
    pages.route(charts.route);
    pages.route(homePageRoute(deps.attention, charts.scripts));
    pages.route(auditPageRoute(deps.store, deps.region, view, charts.scripts));
    pages.route(runsPageRoute(deps.store, view, charts.scripts));
    pages.route(attentionPageRoute(deps.attention, view));
    registerActionForm(pages, deps.attention);
  });
}
