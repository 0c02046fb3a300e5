import type { AuditRow, Link, Run } from '../../store/index.ts';
import { countsList, diffList, formatTime } from './format.ts';
import { href, html, type SafeHtml } from './html.ts';

/** Audit rows, newest first: one line per attempt with its field diff and error. */
export function historyTable(rows: readonly AuditRow[]): SafeHtml {
  if (rows.length === 0) return html`<p id="history-empty" class="muted">No audit rows.</p>`;
  return html`<table id="history" data-testid="history-table">
<thead><tr><th>When</th><th>Run</th><th>Connection</th><th>Direction</th><th>CRM id</th><th>Sahut id</th>
<th>Action</th><th>Attempt</th><th>Changes</th><th>Error</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-audit-id="${r.id}"><td>${formatTime(r.at)}</td>
<td><a href="${href('/audit', { run: r.runId })}">${r.runId}</a></td><td>${r.connection}</td><td>${r.direction}</td>
<td>${r.crmId ?? '—'}</td><td>${r.sahutId ?? '—'}</td><td>${r.action}</td><td class="num">${r.attempt}</td>
<td>${diffList(r.diff)}</td><td class="error">${r.error ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

export function runsTable(runs: readonly Run[]): SafeHtml {
  if (runs.length === 0) return html`<p id="runs-empty" class="muted">No runs yet.</p>`;
  return html`<table id="runs" data-testid="runs-table">
<thead><tr><th>Run</th><th>Connection</th><th>Direction</th><th>Status</th><th>Started</th><th>Finished</th>
<th>Records read</th><th>Outcomes</th></tr></thead>
<tbody>${runs.map(
    (run) => html`<tr data-run-id="${run.id}"><td><a href="${href('/audit', { run: run.id })}">${run.id}</a>${
      run.dryRun ? html` <span class="muted">(dry run)</span>` : ''
    }</td><td>${run.connection}</td><td>${run.direction}</td><td>${run.status}</td><td>${formatTime(run.startedAt)}</td>
<td>${formatTime(run.finishedAt)}</td><td class="num">${run.total}</td><td>${countsList(run.counts)}</td></tr>`,
  )}</tbody></table>`;
}

export function linksTable(links: readonly Link[]): SafeHtml {
  if (links.length === 0)
    return html`<p class="muted">No linked record matches; showing audit rows with this id.</p>`;
  return html`<table id="links" data-testid="links-table">
<thead><tr><th>Connection</th><th>CRM id</th><th>Sahut id</th><th>Phone</th><th>Email</th><th>Last synced</th></tr></thead>
<tbody>${links.map(
    (l) => html`<tr><td>${l.connection}</td><td>${l.crmId}</td><td>${l.sahutId}</td><td>${l.phone ?? '—'}</td>
<td>${l.email ?? '—'}</td><td>${formatTime(l.syncedAt)}</td></tr>`,
  )}</tbody></table>`;
}
