import { acceptedRate, perSecond, utilisation } from './measure.ts';
import type { Check, Measurement } from './types.ts';

const COLUMNS = [
  'run',
  'records',
  'seconds',
  'records/s',
  'calls/record',
  'req/s',
  'limit used',
  '429s',
  'CPU ms/record',
  'peak RSS MB',
  'load',
] as const;

function cells(m: Measurement): string[] {
  const used = utilisation(m);
  return [
    m.label,
    String(m.records),
    m.seconds.toFixed(2),
    perSecond(m).toFixed(0),
    (m.apiCalls / m.records).toFixed(3),
    acceptedRate(m).toFixed(1),
    used === null ? 'no limit' : `${(used * 100).toFixed(1)} %`,
    String(m.rejected429),
    m.cpuMsPerRecord.toFixed(2),
    m.peakRssMb.toFixed(0),
    m.load.toFixed(1),
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

/** `search 2.000, list 0.000, …` per record, with the totals. */
export const formatKinds = (m: Measurement) =>
  Object.entries(m.byKind)
    .map(([kind, n]) => `${kind} ${n} (${(n / m.records).toFixed(3)}/record)`)
    .join(', ');

/** Every process of a row: CPU used during it and peak RSS. */
export const formatProcesses = (m: Measurement) =>
  `${m.label} processes: ${m.processes
    .map(
      (p) =>
        `${p.name} ${p.cpuMs.toFixed(0)} ms CPU${p.peakRssMb === null ? '' : `, ${p.peakRssMb.toFixed(0)} MB`}`,
    )
    .join('; ')}`;

export const formatCheck = (c: Check) => `${c.verdict.padEnd(4)}  ${c.target} — ${c.detail}`;

/** How much of a row's time was the run itself; the rest is start-up, queueing and the caller learning it ended. */
export const formatTiming = (m: Measurement) =>
  m.runSeconds === null
    ? undefined
    : `${m.label}: the run itself took ${m.runSeconds.toFixed(2)} s (store: started → finished), ` +
      `the other ${(m.seconds - m.runSeconds).toFixed(2)} s were start-up, queueing and noticing the end`;
