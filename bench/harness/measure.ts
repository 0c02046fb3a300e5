import type { Run } from '../../src/store/index.ts';
import type { SahutProcess } from './sahut.ts';
import type { Measurement, ProcessFigure } from './types.ts';
import { startWatch, type Watch, type Watched } from './watch.ts';

export const rssMb = () => process.memoryUsage.rss() / 2 ** 20;

/** What every measurement needs to know besides its own processes. */
export interface MeasureContext {
  label: string;
  records: number;
  /** Sahut's enforced limit in requests/s, or null when not limiting. */
  rate: number | null;
  sahut: SahutProcess;
  /** The bench's redis-server, counted as the engine's; null where Redis plays no part. */
  redisPid: number | null;
}

/**
 * Runs `fn` while watching `processes` plus Redis and the Sahut stand-in, then
 * reads what Sahut saw meanwhile. `fn` may add processes it starts to the watch.
 */
export async function measure<T>(
  ctx: MeasureContext,
  processes: Watched[],
  fn: (watch: Watch) => Promise<T>,
): Promise<{ m: Measurement; value: T }> {
  await ctx.sahut.resetCounts();
  const watch = startWatch([
    ...processes,
    ...(ctx.redisPid === null
      ? []
      : [{ kind: 'pid', name: 'redis-server', role: 'service', pid: ctx.redisPid } as const]),
    { kind: 'pid', name: 'Sahut stand-in (not counted)', role: 'sahut', pid: ctx.sahut.pid },
  ]);
  const started = performance.now();
  let value: T;
  try {
    value = await fn(watch);
  } catch (err) {
    await watch.stop().catch(() => {});
    throw err;
  }
  const seconds = (performance.now() - started) / 1000;
  const { processes: figures, load } = await watch.stop();
  const { byRoute, byKind, rejected429 } = await ctx.sahut.counts();
  const apiCalls = Object.values(byRoute).reduce((n, c) => n + c, 0);
  const counted = figures.filter((p) => p.role !== 'sahut');
  const m: Measurement = {
    label: ctx.label,
    records: ctx.records,
    seconds,
    runSeconds: null,
    apiCalls,
    byKind,
    byRoute,
    rejected429,
    rate: ctx.rate,
    cpuMsPerRecord: counted.reduce((n, p) => n + p.cpuMs, 0) / ctx.records,
    peakRssMb: Math.max(0, ...figures.filter(isEngine).map((p) => p.peakRssMb ?? 0)),
    processes: figures,
    load,
  };
  return { m, value };
}

/** The run's own time in the store (started → finished). */
export const runSeconds = (run: Run) =>
  ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000;

const isEngine = (p: ProcessFigure) => p.role === 'engine' || p.role === 'naive';

/** One run of the in-process engine: the bench process is the engine (the stand-in runs elsewhere). */
export async function measureRun(
  ctx: MeasureContext,
  fn: () => Promise<Run>,
): Promise<{ m: Measurement; run: Run }> {
  const self: Watched = { kind: 'self', name: 'bench process (engine in-process)', role: 'engine' };
  const { m, value: run } = await measure(ctx, [self], fn);
  return { m: { ...m, runSeconds: runSeconds(run) }, run };
}

export const perSecond = (m: Measurement) => m.records / m.seconds;
/** Requests Sahut accepted per second; 429s spent a request without doing any work. */
export const acceptedRate = (m: Measurement) => (m.apiCalls - m.rejected429) / m.seconds;
export const utilisation = (m: Measurement) => (m.rate ? acceptedRate(m) / m.rate : null);
