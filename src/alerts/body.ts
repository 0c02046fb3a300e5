import { maskText } from '../pii/index.ts';
import type { AlertEvent, AttentionRecord } from './events.ts';

export type WebhookFormat = 'json' | 'slack';

/** Records listed in one notification; the rest are counted. */
export const MAX_LISTED = 10;
const MAX_TEXT = 500;

/**
 * The webhook body for `event`. Every text that came from a run (errors,
 * reasons) has each configured secret replaced and its phones, emails and
 * names masked, and is cut to a bounded length: a chat channel is a wider
 * audience than the dashboard. Ids (connection, run, CRM and Sahut ids) are
 * kept so the record can be looked up with `sahut-sync audit`.
 */
export function webhookBody(
  event: AlertEvent,
  format: WebhookFormat,
  secrets: readonly string[],
  at = new Date(),
) {
  const clean = (text: string) => bounded(maskText(scrub(text, secrets)));
  const summary = summaryOf(event);
  if (event.kind === 'run-failed') {
    const error = clean(event.error);
    if (format === 'slack') return { text: `${slack(summary)}\n>${slack(error)}` };
    return {
      event: 'run.failed',
      summary,
      connection: event.connection,
      direction: event.direction,
      run_id: event.runId,
      error,
      at: at.toISOString(),
    };
  }
  const records = event.records.slice(0, MAX_LISTED).map((r) => ({
    kind: r.kind,
    crm_id: r.crmId,
    sahut_id: r.sahutId,
    reason: r.reason === null ? null : clean(r.reason),
  }));
  const more = event.records.length - records.length;
  if (format === 'slack') {
    const lines = records.map((r) => `• ${r.kind} crm ${r.crm_id ?? '-'}${r.reason ? `: ${r.reason}` : ''}`);
    if (more > 0) lines.push(`…and ${more} more`);
    return { text: [slack(summary), ...lines.map(slack)].join('\n') };
  }
  return {
    event: 'attention.added',
    summary,
    connection: event.connection,
    direction: event.direction,
    run_id: event.runId,
    counts: countByKind(event.records),
    records,
    more,
    at: at.toISOString(),
  };
}

function summaryOf(event: AlertEvent): string {
  const where = `${event.connection} (${event.direction})`;
  if (event.kind === 'run-failed')
    return `sahut-sync: run ${event.runId ?? '(not started)'} of ${where} failed`;
  const counts = Object.entries(countByKind(event.records))
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `sahut-sync: ${event.records.length} record(s) of ${where} need attention: ${counts}`;
}

function countByKind(records: readonly AttentionRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return counts;
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
}

function bounded(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** Slack reads `<…>` as links and mentions (`<!channel>`): escape what its mrkdwn gives meaning to. */
function slack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
