import { acceptedRate, perSecond, utilisation } from './measure.ts';
import type { Check, Measurement } from './types.ts';

const COLUMNS = [
  'run',
  'records',
  'seconds',
  'records/s',
  'API calls/record',
  'req/s',
  'limit used',
  '429s',
  'peak RSS MB',
] as const;

function cells(m: Measurement): string[] {
  return [
    m.label,
    String(m.records),
    m.seconds.toFixed(2),
    perSecond(m).toFixed(0),
    (m.apiCalls / m.records).toFixed(3),
    acceptedRate(m).toFixed(1),
    `${(utilisation(m) * 100).toFixed(1)} %`,
    String(m.rejected429),
    m.peakRssMb.toFixed(0),
  ];
}

/** A plain aligned table: the first column left-aligned, numbers right-aligned. */
export function formatTable(title: string, rows: readonly Measurement[]): string {
  const body = rows.map(cells);
  const all = [[...COLUMNS], ...body];
  const widths = COLUMNS.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((v, c) => (c === 0 ? v.padEnd(widths[c] ?? 0) : v.padStart(widths[c] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(all[0] ?? []), rule, ...body.map(line)].join('\n');
}

export const formatRoutes = (m: Measurement) =>
  Object.entries(m.byRoute)
    .map(([route, n]) => `${route}: ${n}`)
    .join(', ') || 'none';

export const formatCheck = (c: Check) => `${c.pass ? 'PASS' : 'WARN'}  ${c.target} — ${c.detail}`;

/** How much of a row's time was the run itself; the rest is queueing and the caller learning it ended. */
export const formatTiming = (m: Measurement) =>
  `${m.label}: the run itself took ${m.runSeconds.toFixed(2)} s (store: started → finished), ` +
  `the other ${(m.seconds - m.runSeconds).toFixed(2)} s were queueing and waitForRun noticing the end`;
