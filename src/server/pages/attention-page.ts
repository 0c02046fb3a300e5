import type { FastifyInstance, RouteOptions } from 'fastify';
import { describeAction } from '../../attention/index.ts';
import { type ActionStatus, actionStatus } from '../../queue/actions/index.ts';
import { ATTENTION_KINDS } from '../../store/index.ts';
import { attentionQuerySchema } from '../api/attention.ts';
import { parseQuery } from '../api/query.ts';
import { type AttentionDeps, submitAction } from '../attention/index.ts';
import { entrySection } from './attention-render.ts';
import { href, html, type SafeHtml } from './html.ts';
import { page, sendPage } from './layout.ts';
import type { PageView } from './plugin.ts';

const PAGE_SIZE = 25;
const querySchema = attentionQuerySchema.extend({ action: attentionQuerySchema.shape.connection });

/** GET /attention — what needs a person, one section per record, with the actions each allows. */
export function attentionPageRoute(deps: AttentionDeps, view: PageView): RouteOptions {
  return {
    method: 'GET',
    url: '/attention',
    handler: async (request, reply) => {
      // The filter form sends its empty fields too: an empty filter is no filter.
      const given = Object.entries(request.query as Record<string, unknown>).filter(([, v]) => v !== '');
      const { action, ...q } = parseQuery(querySchema, Object.fromEntries(given));
      const listing = await deps.store.listAttention({ ...q, limit: Math.min(q.limit, PAGE_SIZE) });
      const canAct = !deps.config.dashboard.readOnly && !q.acknowledged;
      const status = action ? await actionStatus(deps.queues.actions, action).catch(() => null) : undefined;
      const sections = listing.entries.map((entry) => entrySection(entry, view(entry), canAct));
      const { cursor: _cursor, limit: _limit, ...filters } = q;
      const older = listing.nextCursor
        ? html`<p><a id="older" rel="next" href="${href('/attention', { ...stringify(filters), cursor: listing.nextCursor })}">Older →</a></p>`
        : html``;
      const empty = html`<p id="attention-empty" class="muted">${q.acknowledged ? 'Nothing acknowledged.' : 'Nothing needs attention.'}</p>`;
      const content = html`<h1>${q.acknowledged ? 'Acknowledged' : 'Needs attention'}</h1>${filterForm(q)}
${status === undefined ? html`` : actionNotice(action as string, status && view(status))}
${deps.config.dashboard.readOnly ? html`<p class="muted">The dashboard is read-only (DASHBOARD_READ_ONLY=true): actions are off.</p>` : html``}
${sections.length ? sections : empty}${older}`;
      return sendPage(reply, page('Needs attention', content));
    },
  };
}

/**
 * POST /attention/actions — a form of the page: the action is queued for a
 * worker, and the page shows it (`?action=`) until its run reports.
 */
export function registerActionForm(pages: FastifyInstance, deps: AttentionDeps): void {
  pages.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  pages.post('/attention/actions', async (request, reply) => {
    const id = await submitAction(deps, request, request.body, 'dashboard');
    const connection = (request.body as { connection?: string }).connection;
    return reply.redirect(href('/attention', { connection, action: id }), 303);
  });
}

function actionNotice(id: string, status: ActionStatus | null): SafeHtml {
  if (!status) return html`<p id="action-status" class="muted">Action ${id} is no longer kept.</p>`;
  const what = status.request ? describeAction(status.request) : id;
  const state =
    status.state === 'completed'
      ? status.result?.runId
        ? html`done: run <a href="${href('/audit', { run: status.result.runId })}">${status.result.runId}</a> reads the record again`
        : html`done (${status.result?.outcome ?? 'ok'})`
      : status.state === 'failed'
        ? html`<span class="error">not carried out: ${status.error ?? 'unknown reason'}</span>`
        : html`${status.state}: a worker carries it out`;
  return html`<p id="action-status" data-state="${status.state}">Action <code>${id}</code> (${what}): ${state}. <a href="${href('/attention', { action: id })}">Refresh</a></p>`;
}

function filterForm(q: { connection?: string; kind?: string; direction?: string; acknowledged?: boolean }) {
  const kinds = ['', ...ATTENTION_KINDS].map(
    (k) =>
      html`<option value="${k}"${k === (q.kind ?? '') ? html` selected` : html``}>${k || 'any kind'}</option>`,
  );
  return html`<form method="get" action="/attention" class="filters"><input name="connection" value="${q.connection ?? ''}" placeholder="connection" aria-label="connection">
<select name="kind" aria-label="kind">${kinds}</select>
<label><input type="checkbox" name="acknowledged" value="true"${q.acknowledged ? html` checked` : html``}> acknowledged</label>
<button type="submit">Show</button></form>`;
}

function stringify(filters: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(filters).map(([k, v]) => [k, v === undefined ? undefined : String(v)]),
  );
}
