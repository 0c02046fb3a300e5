import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classifyFailure,
  type Failure,
  parseRetryAfter,
  type RetryPolicy,
} from '../src/sahut/index.ts';

const policy: RetryPolicy = { minDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };
const NOW = Date.parse('2024-01-10T10:00:00Z');
const decide = (method: string, failure: Failure, attempt = 1, random = () => 0.5) =>
  classifyFailure(failure, { method, attempt, policy, now: NOW, random });
const status = (s: number, retryAfter: string | null = null): Failure => ({
  kind: 'status',
  status: s,
  retryAfter,
});
const network = (code: string): Failure => ({ kind: 'network', code });

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('1', NOW)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('Wed, 10 Jan 2024 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed, 10 Jan 2024 09:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('draws uniformly below an exponential ceiling capped at maxDelayMs (full jitter)', () => {
    expect(backoffMs(1, policy, () => 0.999)).toBe(100);
    expect(backoffMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffMs(20, policy, () => 1)).toBe(5_000);
    expect(backoffMs(4, policy, () => 0)).toBe(0);
  });
});

describe('classifyFailure', () => {
  it('retries 5xx, 408 and network errors on GET and PUT with backoff', () => {
    for (const method of ['GET', 'PUT']) {
      for (const f of [
        status(500),
        status(502),
        status(503),
        status(504),
        status(408),
        network('ECONNRESET'),
      ]) {
        expect(decide(method, f, 2)).toMatchObject({ retry: true, waitMs: 100, giveUp: 'unavailable' });
      }
      expect(decide(method, network('UND_ERR_HEADERS_TIMEOUT')).retry).toBe(true);
      expect(decide(method, network('UND_ERR_SOCKET')).retry).toBe(true);
    }
  });

  it('lets Retry-After win over the computed backoff, also beyond maxDelayMs', () => {
    expect(decide('GET', status(503, '2'))).toMatchObject({ retry: true, waitMs: 2_000 });
    expect(decide('GET', status(429, '10'))).toMatchObject({
      retry: true,
      waitMs: 10_000,
      giveUp: 'rate-limited',
    });
    expect(decide('GET', status(429, 'Wed, 10 Jan 2024 10:00:05 GMT'))).toMatchObject({ waitMs: 5_000 });
    expect(decide('GET', status(429), 3)).toMatchObject({ retry: true, waitMs: 200 });
  });

  it('stops at once on a 429 whose Retry-After exceeds maxRetryAfterMs, telling how long to pause', () => {
    expect(decide('GET', status(429, '31'))).toMatchObject({
      retry: false,
      waitMs: 31_000,
      giveUp: 'rate-limited',
    });
    expect(decide('GET', status(503, '3600'))).toMatchObject({ retry: false, giveUp: 'unavailable' });
  });

  it('never retries other 4xx', () => {
    for (const s of [400, 401, 403, 404, 409, 422]) {
      for (const method of ['GET', 'POST', 'PUT']) {
        expect(decide(method, status(s))).toMatchObject({
          retry: false,
          giveUp: 'rejected',
          reason: `HTTP ${s}`,
        });
      }
    }
  });

  it('treats a POST that may have reached the handler as outcome unknown, never retried', () => {
    for (const f of [
      status(500),
      status(503, '1'),
      network('UND_ERR_SOCKET'),
      network('ECONNRESET'),
      network('UND_ERR_HEADERS_TIMEOUT'),
      network('UND_ERR_BODY_TIMEOUT'),
      network('SOMETHING_NEW'),
    ]) {
      expect(decide('POST', f)).toMatchObject({ retry: false, giveUp: 'outcome-unknown' });
    }
  });

  it('retries a POST that provably did not reach the handler', () => {
    for (const f of [network('ECONNREFUSED'), network('UND_ERR_CONNECT_TIMEOUT'), network('ENOTFOUND')]) {
      expect(decide('POST', f)).toMatchObject({ retry: true, giveUp: 'unavailable' });
    }
    expect(decide('POST', status(429, '1'))).toMatchObject({
      retry: true,
      waitMs: 1_000,
      giveUp: 'rate-limited',
    });
    expect(decide('POST', status(408))).toMatchObject({ retry: true });
  });

  it('does not retry an error it does not recognise on GET', () => {
    expect(decide('GET', network('ERR_INVALID_ARG_TYPE'))).toMatchObject({
      retry: false,
      giveUp: 'unavailable',
    });
  });
});
