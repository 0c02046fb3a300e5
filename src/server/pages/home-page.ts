import type { RouteOptions } from 'fastify';
import type { DailyLimitSeen } from '../../crm/index.ts';
import { type AttentionDeps, crmDailyLimits, type SyncHealth, syncHealth } from '../attention/index.ts';
import type { ChartAssets } from '../charts/index.ts';
import { attentionFigure } from './charts.ts';
import { formatTime } from './format.ts';
import { href, html, type SafeHtml } from './html.ts';
import { page, sendPage } from './layout.ts';

/**
 * GET / — sync health: per connection and direction, the last successful
 * run, the links, what needs attention by kind, the next scheduled run and
 * the run in flight; then, run by run, what the last runs left needing a person.
 */
export function homePageRoute(deps: AttentionDeps, charts: ChartAssets['scripts']): RouteOptions {
  return {
    method: 'GET',
    url: '/',
    handler: async (_request, reply) => {
      // Names, ids, counts and times only: nothing here to mask.
      const [rows, daily] = await Promise.all([syncHealth(deps), crmDailyLimits(deps)]);
      const table = rows.length
        ? html`<table id="health" data-testid="health-table"><thead><tr><th>Connection</th><th>Direction</th>
<th>Last successful run</th><th>Last run</th><th>Linked records</th><th>Needs attention</th><th>Next scheduled run</th><th>In flight</th></tr></thead>
<tbody>${rows.map(healthRow)}</tbody></table>`
        : html`<p id="health-empty" class="muted">No connection has run yet, and the connections file names none.</p>`;
      const trends = rows.filter((h) => h.trend.length > 0);
      const trend = trends.length
        ? html`<h2>Needs attention, run by run</h2>${trends.map(attentionFigure)}`
        : html``;
      const drawn = trends.some((h) => h.trend.some((t) => Object.keys(t.attention).length > 0));
      return sendPage(
        reply,
        page(
          'Sync health',
          html`<h1>Sync health</h1>${table}${dailyTable(daily)}${trend}`,
          drawn ? charts : undefined,
        ),
      );
    },
  };
}

function healthRow(h: SyncHealth): SafeHtml {
  const runLink = (id: string) => html`<a href="${href('/audit', { run: id })}">${id}</a>`;
  const kinds = Object.entries(h.attention);
  const attention = kinds.length
    ? kinds.map(
        ([kind, n]) =>
          html`<a class="count" href="${href('/attention', { connection: h.connection, kind, direction: h.direction })}">${kind} ${n}</a> `,
      )
    : html`<span class="muted">none</span>`;
  const last = h.lastRun
    ? html`${runLink(h.lastRun.id)} ${h.lastRun.status} <span class="muted">${formatTime(h.lastRun.finishedAt ?? h.lastRun.startedAt)}</span>`
    : html`<span class="muted">never</span>`;
  const success = h.lastSuccess
    ? html`${formatTime(h.lastSuccess.finishedAt)} <span class="muted">(${runLink(h.lastSuccess.id)})</span>`
    : html`<span class="muted">never</span>`;
  return html`<tr data-connection="${h.connection}" data-direction="${h.direction}"><td>${h.connection}</td><td>${h.direction}</td>
<td>${success}</td><td>${last}</td><td class="num">${h.linked}</td><td>${attention}</td>
<td>${h.nextRun === undefined ? unknown() : h.nextRun ? formatTime(h.nextRun) : html`<span class="muted">not scheduled</span>`}</td>
<td>${h.inFlight === undefined ? unknown() : h.inFlight ? html`${runLink(h.inFlight.runId)} (${h.inFlight.state})` : html`<span class="muted">no</span>`}</td></tr>`;
}

const unknown = () => html`<span class="muted" title="Redis did not answer">unknown</span>`;

/** The CRM API's daily budget per connection that reports one (HubSpot), as the workers last saw it. */
function dailyTable(daily: Map<string, DailyLimitSeen> | undefined): SafeHtml {
  if (!daily || daily.size === 0) return html``;
  const rows = [...daily].sort(([a], [b]) => a.localeCompare(b));
  return html`<h2>CRM API budget today</h2><table id="crm-daily" data-testid="crm-daily"><thead><tr><th>Connection</th>
<th>Calls left today</th><th>Daily limit</th><th>As of</th></tr></thead><tbody>${rows.map(
    ([connection, d]) =>
      html`<tr data-connection="${connection}"><td>${connection}</td><td class="num">${d.remaining}</td><td class="num">${d.daily}</td><td>${formatTime(new Date(d.at))}</td></tr>`,
  )}</tbody></table>`;
}
