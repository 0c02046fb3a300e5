export interface LagMonitor {
  /** Worst event-loop delay seen in the latest sample, in milliseconds. */
  lagMs(): number;
  stop(): void;
}

/**
 * Measures event-loop lag with a repeating timer: a timer that fires late
 * tells how long the loop was blocked. Sampling (not a lifetime histogram)
 * lets /healthz recover once the loop is responsive again.
 */
export function monitorLag(intervalMs = 200): LagMonitor {
  let expected = performance.now() + intervalMs;
  let lastLag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lastLag = Math.max(0, now - expected);
    expected = now + intervalMs;
  }, intervalMs);
  timer.unref();
  return {
    // A timer that is overdue right now counts too: the sample may not have run yet.
    lagMs: () => Math.max(lastLag, performance.now() - expected),
    stop: () => clearInterval(timer),
  };
}
