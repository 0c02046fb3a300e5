/** Most arrivals in any rolling window, counted as the HubSpot sandbox counts (`(t - window, t]`). */
export function peakInWindow(arrivals: readonly number[], windowMs: number): number {
  let peak = 0;
  let first = 0;
  for (const [i, t] of arrivals.entries()) {
    while ((arrivals[first] ?? t) <= t - windowMs) first += 1;
    peak = Math.max(peak, i - first + 1);
  }
  return peak;
}

/**
 * The share of a rolling-window limit a phase sustained: requests made per window, from the
 * mean time of its first `max` arrivals to that of its last `max`. Measured so, a phase cannot
 * claim the `max` requests a rolling window lets it start with on budget saved before it, nor lose
 * what it spends at its end; it is `window / (t[i + max] - t[i])` on average, at most 1 when no
 * window was exceeded.
 */
export function sustainedShare(arrivals: readonly number[], max: number, windowMs: number): number {
  const k = arrivals.length;
  if (k <= max) return 0;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const elapsed = mean(arrivals.slice(k - max)) - mean(arrivals.slice(0, max));
  return elapsed > 0 ? ((k - max) * windowMs) / (max * elapsed) : 0;
}
