import type { FieldDiff } from '../../domain/index.ts';
import { html, type SafeHtml } from './html.ts';

export function formatTime(at: Date | null): string {
  return at
    ? at
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z')
    : '—';
}

/** A diff value as an operator reads it: strings bare, everything else as JSON, absence as ∅. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '∅';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function diffList(diff: FieldDiff | null): SafeHtml {
  const entries = Object.entries(diff ?? {});
  if (entries.length === 0) return html`<span class="muted">—</span>`;
  return html`<ul class="diff">${entries.map(
    ([field, { before, after }]) =>
      html`<li><code>${field}</code>: <del>${formatValue(before)}</del> → <ins>${formatValue(after)}</ins></li>`,
  )}</ul>`;
}

export function countsList(counts: Partial<Record<string, number>>): string {
  const parts = Object.entries(counts).map(([action, n]) => `${action} ${n ?? 0}`);
  return parts.length ? parts.join(' · ') : '—';
}
