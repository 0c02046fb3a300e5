/** Local time in ms, on a clock that never steps back. */
const localNow = () => performance.timeOrigin + performance.now();

/**
 * What one process knows of Redis's clock. Redis read its clock between the moment a call left and
 * the moment its answer came back, so `redis − local` lies between `redisTime − receivedAt` and
 * `redisTime − sentAt`; the tightest bounds of the last `keepMs` are kept (older ones would let
 * the two clocks' drift in: at NTP's fastest slew, 500 ppm, 1 ms in 2 s).
 */
export function redisClock(keepMs = 2000) {
  let samples: { at: number; low: number; high: number }[] = [];
  const recent = (now: number) => {
    samples = samples.filter((s) => s.at > now - keepMs);
    return samples;
  };
  return {
    now: localNow,
    /** Notes one call: when it left, the time Redis read, when its answer came back. */
    add(sentAt: number, redisTime: number, receivedAt: number) {
      recent(receivedAt).push({ at: receivedAt, low: redisTime - receivedAt, high: redisTime - sentAt });
    },
    /** Redis's clock reads at most this now; undefined without a recent call. */
    atMost(): number | undefined {
      const now = localNow();
      const r = recent(now);
      return r.length > 0 ? now + Math.min(...r.map((s) => s.high)) : undefined;
    },
    /** The local time after which Redis's clock is past `redisTime`; undefined without a recent call. */
    localWhenPast(redisTime: number): number | undefined {
      const r = recent(localNow());
      return r.length > 0 ? redisTime - Math.max(...r.map((s) => s.low)) : undefined;
    },
  };
}
