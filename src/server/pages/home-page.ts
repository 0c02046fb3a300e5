import type { RouteOptions } from 'fastify';
import type { DailyLimitSeen } from '../../crm/index.ts';
import {
  type AttentionDeps,
  crmDailyLimits,
  type FullPass,
  fullPass,
  REMOVAL_ACTIONS,
  type SyncHealth,
  syncHealth,
} from '../attention/index.ts';
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
      const [rows, pass, daily] = await Promise.all([syncHealth(deps), fullPass(deps), crmDailyLimits(deps)]);
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
          html`<h1>Sync health</h1>${table}${passNote(pass)}${dailyTable(daily)}${removalsTable(rows)}${trend}`,
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

/** What a full pass over Sahut costs today: a schedule shorter than it cannot finish one. */
function passNote(p: FullPass | null): SafeHtml {
  if (!p)
    return html`<p id="full-pass" class="muted">A full pass over Sahut: no complete scan yet, so its size is not known.</p>`;
  return html`<p id="full-pass">A full pass over Sahut (the sahut-to-crm direction, or a refresh of the scan index):
<strong>${p.contacts}</strong> contacts at the last scan <span class="muted">(${formatTime(p.countedAt)})</span> are ${p.pages} list calls,
<strong>${formatSeconds(p.aloneSeconds)}</strong> alone at SAHUT_RATE_LIMIT=${p.rateLimit},
<strong>${formatSeconds(p.sharedSeconds)}</strong> while record writes wait (SCAN_RATE_SHARE=${p.share}).
A sahut-to-crm schedule shorter than that cannot finish a pass.</p>`;
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 90 * 60) return `${Math.ceil(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Deletions and disappearances acted on per run, and every run the deletion guard stopped. */
function removalsTable(rows: readonly SyncHealth[]): SafeHtml {
  const runs = rows.flatMap((h) =>
    h.removals.map((r) => ({ ...r, connection: h.connection, direction: h.direction })),
  );
  if (runs.length === 0) return html``;
  const row = (r: (typeof runs)[number]) =>
    html`<tr data-run="${r.runId}"${r.guard ? html` class="guard"` : html``}><td>${r.connection}</td><td>${r.direction}</td>
<td><a href="${href('/audit', { run: r.runId })}">${r.runId}</a> <span class="muted">${formatTime(r.startedAt)}</span></td>
${REMOVAL_ACTIONS.map((a) => html`<td class="num">${r.counts[a] ?? 0}</td>`)}<td>${r.guard ? html`<span class="error">${r.guard}</span>` : html`<span class="muted">no</span>`}</td></tr>`;
  return html`<h2>Deletions, run by run</h2>
<table id="removals" data-testid="removals-table"><thead><tr><th>Connection</th><th>Direction</th><th>Run</th>
${REMOVAL_ACTIONS.map((a) => html`<th>${a}</th>`)}<th>Deletion guard</th></tr></thead>
<tbody>${runs.map(row)}</tbody></table>`;
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
