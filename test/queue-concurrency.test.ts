import { describe, expect, it } from 'vitest';
import { nextConcurrency } from '../src/queue/limits/concurrency.ts';

const bounds = { base: 8, max: 64, ratePerSec: 10_000, batchSize: 10 };
const sample = (over: Partial<{ elu: number; full: boolean; latencyMs: number | null }> = {}) => ({
  elu: 0.3,
  full: true,
  latencyMs: 50,
  ...over,
});

describe('record jobs in flight follow latency', () => {
  it('grows by a quarter while every slot is taken and the CPU has room, up to the bound', () => {
    let c = bounds.base;
    const seen = [c];
    for (let i = 0; i < 20; i++) {
      c = nextConcurrency(c, sample(), bounds);
      seen.push(c);
    }
    expect(seen.slice(0, 4)).toEqual([8, 10, 13, 17]);
    // 10,000 req/s × 50 ms × 1.25 = 625 requests = 63 jobs of 10, under the bound of 64.
    expect(c).toBe(63);
  });

  it('stays where it is when slots are free or the CPU is nearly busy', () => {
    expect(nextConcurrency(20, sample({ full: false }), bounds)).toBe(20);
    expect(nextConcurrency(20, sample({ elu: 0.8 }), bounds)).toBe(20);
  });

  it('shrinks when the CPU is saturated, never below the base', () => {
    expect(nextConcurrency(40, sample({ elu: 0.95 }), bounds)).toBe(30);
    expect(nextConcurrency(9, sample({ elu: 0.95 }), bounds)).toBe(8);
  });

  it('needs no more in flight than the rate limit takes at this latency', () => {
    const limited = { ...bounds, ratePerSec: 100 };
    // 100 req/s × 200 ms × 1.25 = 25 requests: 3 jobs, so it stays at the base.
    expect(nextConcurrency(8, sample({ latencyMs: 200 }), limited)).toBe(8);
    expect(nextConcurrency(30, sample({ latencyMs: 200 }), limited)).toBe(8);
    // A slow Sahut under a high limit needs more.
    expect(nextConcurrency(8, sample({ latencyMs: 2000 }), { ...limited, ratePerSec: 1000 })).toBe(10);
  });

  it('is pinned when the bound equals the base', () => {
    expect(nextConcurrency(8, sample(), { ...bounds, max: 8 })).toBe(8);
  });
});
