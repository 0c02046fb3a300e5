import { performance } from 'node:perf_hooks';

export interface ConcurrencyBounds {
  /** WORKER_CONCURRENCY: where it starts, and never below. */
  base: number;
  /** WORKER_MAX_CONCURRENCY: never above. */
  max: number;
  /** Requests per second the deployment may send Sahut. */
  ratePerSec: number;
  /** Records per job: each has at most one request out at a time. */
  batchSize: number;
}

export interface Sample {
  /** Share of the interval the event loop was busy (0…1): the CPU this process got used. */
  elu: number;
  /** Whether every slot was taken at some point while jobs were there to take. */
  full: boolean;
  /** Mean Sahut answer time over the interval, ms; null when no request ended. */
  latencyMs: number | null;
}

const CPU_BUSY = 0.9;
const CPU_SPARE = 0.75;

/**
 * Record jobs to take at once next (pure). Little's law gives what the rate
 * needs: rate × latency requests out, a record each, in jobs of `batchSize`;
 * beyond that more would only wait for the rate limiter. Below it, concurrency
 * grows by a quarter while the slots are all taken and the CPU has room, and
 * shrinks by a quarter when the event loop is busy (more in flight would only
 * queue for the CPU).
 */
export function nextConcurrency(current: number, s: Sample, b: ConcurrencyBounds): number {
  const needed =
    s.latencyMs === null ? b.max : Math.ceil((1.25 * b.ratePerSec * s.latencyMs) / 1000 / b.batchSize);
  const ceiling = Math.max(b.base, Math.min(b.max, needed));
  if (s.elu > CPU_BUSY) return Math.max(b.base, Math.floor(current * 0.75));
  if (current > ceiling) return ceiling;
  if (s.full && s.elu < CPU_SPARE) return Math.min(ceiling, current + Math.max(1, Math.ceil(current / 4)));
  return current;
}

/** Sahut's answer times, averaged per interval. */
export function createLatencyMeter() {
  let sum = 0;
  let count = 0;
  return {
    observe(ms: number) {
      sum += ms;
      count += 1;
    },
    take(): number | null {
      const mean = count === 0 ? null : sum / count;
      sum = 0;
      count = 0;
      return mean;
    },
  };
}
export type LatencyMeter = ReturnType<typeof createLatencyMeter>;

/**
 * Adjusts a BullMQ worker's concurrency every `intervalMs` by
 * `nextConcurrency`; `started` and `ended` wrap each job. Returns a stop.
 */
export function followLatency(
  worker: { concurrency: number },
  latency: LatencyMeter,
  bounds: ConcurrencyBounds,
  intervalMs = 500,
) {
  let active = 0;
  let full = false;
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const sample = {
      elu: performance.eventLoopUtilization(now, elu).utilization,
      full,
      latencyMs: latency.take(),
    };
    elu = now;
    full = active >= worker.concurrency;
    worker.concurrency = nextConcurrency(worker.concurrency, sample, bounds);
  }, intervalMs);
  timer.unref();
  return {
    started() {
      active += 1;
      if (active >= worker.concurrency) full = true;
    },
    ended() {
      active -= 1;
    },
    stop: () => clearInterval(timer),
  };
}
