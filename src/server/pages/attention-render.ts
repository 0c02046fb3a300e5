import {
  ACTIONS_BY_KIND,
  type Ambiguity,
  ambiguityOf,
  conflictsOf,
  heldBackOf,
  offendingValue,
  pairOf,
} from '../../attention/index.ts';
import type { Contact } from '../../domain/index.ts';
import type { AttentionEntry } from '../../store/index.ts';
import { formatTime, formatValue } from './format.ts';
import { href, html, type SafeHtml } from './html.ts';

/**
 * One entry of the listing: what it is about, what the record looks like for
 * its kind, and the actions it allows. `raw` gives the ids the forms send;
 * `shown` is what is displayed (masked under DASHBOARD_REDACT_PII).
 */
export function entrySection(raw: AttentionEntry, shown: AttentionEntry, canAct: boolean): SafeHtml {
  const act = (action: string, label: string, extra: Record<string, string> = {}) =>
    canAct ? actionForm(raw, action, label, extra) : html``;
  const allowed = new Set(ACTIONS_BY_KIND[raw.kind]);
  const onCrm = raw.direction === 'crm-to-sahut' && raw.crmId !== null;
  let body: SafeHtml;
  switch (raw.kind) {
    case 'ambiguous':
      body = ambiguityTable(raw, shown, onCrm ? act : undefined);
      break;
    case 'conflict':
      body = conflictTable(raw, shown, act);
      break;
    case 'rejected': {
      const bad = offendingValue(shown.error);
      body = bad
        ? html`<p>Offending value: <code>${bad.field}</code> = <code>${bad.value}</code>. Fix it in the CRM; the next run that reads the record takes it.</p>`
        : html`<p>Fix the record in the CRM; the next run that reads it takes it.</p>`;
      break;
    }
    case 'failed':
      body = html`<p>Attempt ${raw.attempt} failed; reported failed ${raw.times} time(s).</p>`;
      break;
    case 'duplicate-suspected': {
      const pair = pairOf(raw.detail);
      body = pair
        ? html`<p>Sahut contacts ${pair.pair.map((id) => html`<a href="${href('/audit', { q: id })}"><code>${id}</code></a> `)}share ${pair.by || 'a phone or email'}: merge them in Sahut if they are one person.</p>`
        : html``;
      break;
    }
    case 'deletion-guard':
      body = html`<p>Nothing was deleted, tagged, recreated or unlinked. Check the CRM and Sahut; if these removals are real, confirm them: a run then acts on them.</p>`;
      break;
    case 'gone-in-sahut':
      body = html`<p>Contact <code>${raw.sahutId ?? '?'}</code> no longer answers in Sahut and no other contact holds its phone or email. Create it again from the CRM record, or unlink the record (it stays in the CRM).</p>`;
      break;
  }
  const buttons = [
    allowed.has('recreate') ? act('recreate', 'Create it again') : html``,
    allowed.has('unlink') ? act('unlink', 'Unlink') : html``,
    allowed.has('confirm') ? act('confirm', 'Confirm the removals') : html``,
    allowed.has('create') && onCrm ? act('create', 'Create a new contact') : html``,
    allowed.has('retry') && raw.crmId !== null ? act('retry', 'Retry now') : html``,
    act('acknowledge', 'Acknowledge'),
  ];
  return html`<section class="entry" data-entry-id="${raw.id}" data-kind="${raw.kind}">
<h2><span class="kind">${raw.kind}</span> <a href="${href('/audit', { q: raw.crmId ?? raw.sahutId ?? raw.id })}"><code>${raw.id}</code></a> <span class="muted">${raw.connection} · ${raw.direction}</span></h2>
<p class="muted">Since ${formatTime(raw.since)} · last reported ${formatTime(raw.at)} by run <a href="${href('/audit', { run: raw.runId })}">${raw.runId}</a>${raw.times > 1 ? ` · ${raw.times} times` : ''}${raw.acknowledged ? ` · acknowledged by ${raw.acknowledged.by} at ${formatTime(raw.acknowledged.at)}` : ''}</p>
${shown.error ? html`<p class="error">${shown.error}</p>` : html``}
${pendingNote(raw)}${body}<div class="actions">${buttons}</div></section>`;
}

function pendingNote(entry: AttentionEntry): SafeHtml {
  const p = entry.pending;
  if (!p) return html``;
  const what = p.action === 'link' ? `link to ${p.candidate}` : p.action;
  return html`<p class="pending">${what} asked by ${p.by} at ${formatTime(p.at)}: waiting for the run that reads the record again.</p>`;
}

type Act = (action: string, label: string, extra?: Record<string, string>) => SafeHtml;

function actionForm(entry: AttentionEntry, action: string, label: string, extra: Record<string, string>) {
  const fields = { connection: entry.connection, id: entry.id, action, ...extra };
  return html`<form method="post" action="/attention/actions">${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit">${label}</button></form>`;
}

/** The CRM record beside each candidate, field by field; a candidate's value equal to the record's is marked. */
function ambiguityTable(raw: AttentionEntry, shown: AttentionEntry, act: Act | undefined): SafeHtml {
  const ids = ambiguityOf(raw.detail).candidates;
  const view: Ambiguity = ambiguityOf(shown.detail);
  const rawCrm = ambiguityOf(raw.detail).crm;
  const byId = new Map(
    ambiguityOf(raw.detail).contacts.map((c, i) => [c.id, { raw: c, shown: view.contacts[i] }]),
  );
  const fields = fieldKeys(rawCrm ?? {});
  const head = ids.map(
    (id) =>
      html`<th>Sahut <code>${id}</code>${act ? act('link', 'Link to this contact', { candidate: id }) : html``}</th>`,
  );
  const rows = fields.map((field) => {
    const mine = read(rawCrm ?? {}, field);
    const cells = ids.map((id) => {
      const c = byId.get(id);
      if (!c) return html`<td class="muted">—</td>`;
      const empty = mine === null || (Array.isArray(mine) && mine.length === 0);
      const same = !empty && JSON.stringify(read(c.raw, field)) === JSON.stringify(mine);
      return html`<td class="${same ? 'same' : ''}">${formatValue(read(c.shown ?? {}, field))}</td>`;
    });
    return html`<tr><th>${field}</th><td>${formatValue(read(view.crm ?? {}, field))}</td>${cells}</tr>`;
  });
  return html`<table class="compare"><thead><tr><th>Field</th><th>CRM record</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function conflictTable(raw: AttentionEntry, shown: AttentionEntry, act: Act): SafeHtml {
  const view = conflictsOf(shown.detail);
  const rows = conflictsOf(raw.detail).map((c, i) => {
    const s = view[i] ?? c;
    return html`<tr data-field="${c.field}"><th>${c.field}</th><td>${formatValue(s.base)}</td><td>${formatValue(s.crm)}</td><td>${formatValue(s.sahut)}</td><td>${c.resolution}</td>
<td>${act('take', "Take the CRM's", { field: c.field, side: 'crm' })}${act('take', "Take Sahut's", { field: c.field, side: 'sahut' })}</td></tr>`;
  });
  const held = heldBackOf(shown.detail).map(
    (h) =>
      html`<li><code>${h.field}</code> ${h.value} was not written to the CRM: record <code>${h.heldBy.crmId}</code> (contact <code>${h.heldBy.sahutId}</code>) holds it.</li>`,
  );
  return html`${rows.length ? html`<table class="compare"><thead><tr><th>Field</th><th>Last agreed</th><th>CRM</th><th>Sahut</th><th>Kept</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : html``}${held.length ? html`<ul>${held}</ul>` : html``}`;
}

const ATTR = 'custom_attributes.';

function fieldKeys(contact: Contact): string[] {
  const scalars = (['name', 'phone', 'email', 'company', 'tags'] as const).filter(
    (f) => contact[f] !== undefined,
  );
  return [...scalars, ...Object.keys(contact.custom_attributes ?? {}).map((k) => `${ATTR}${k}`)];
}

function read(contact: Contact, key: string): unknown {
  if (key.startsWith(ATTR)) return contact.custom_attributes?.[key.slice(ATTR.length)] ?? null;
  return contact[key as Exclude<keyof Contact, 'custom_attributes'>] ?? null;
}
