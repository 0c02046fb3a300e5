import type { Sandbox } from '../../src/sandbox/index.ts';
import type { Run } from '../../src/store/index.ts';
import type { Measurement } from './types.ts';

const MB = 1024 * 1024;

/** Samples this process's RSS every `everyMs` while `fn` runs, so the peak belongs to `fn` alone. */
export async function withPeakRss<T>(
  fn: () => Promise<T>,
  everyMs = 50,
): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMb: peak / MB };
  } finally {
    clearInterval(timer);
  }
}

export const rssMb = () => process.memoryUsage.rss() / MB;

/** Runs `fn` (one engine run over `records` CRM records) and reads what the sandbox saw meanwhile. */
export async function measureRun(
  label: string,
  records: number,
  rate: number,
  sandbox: Sandbox,
  fn: () => Promise<Run>,
): Promise<{ m: Measurement; run: Run }> {
  sandbox.resetCounts();
  const started = performance.now();
  const { value: run, peakMb } = await withPeakRss(fn);
  const seconds = (performance.now() - started) / 1000;
  const byRoute = sandbox.counts();
  const rejected429 = Object.values(sandbox.statusCounts()).reduce((n, s) => n + (s['429'] ?? 0), 0);
  const apiCalls = Object.values(byRoute).reduce((n, c) => n + c, 0);
  const runSeconds = ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000;
  const m = { label, records, seconds, runSeconds, apiCalls, rejected429, rate, peakRssMb: peakMb, byRoute };
  return { m, run };
}

export const perSecond = (m: Measurement) => m.records / m.seconds;
/** Requests Sahut accepted per second; 429s spent a request without doing any work. */
export const acceptedRate = (m: Measurement) => (m.apiCalls - m.rejected429) / m.seconds;
export const utilisation = (m: Measurement) => acceptedRate(m) / m.rate;
