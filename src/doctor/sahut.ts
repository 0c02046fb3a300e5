import type { Config } from '../config/index.ts';
import { createSahutClient, type RequestEvent, SahutRequestError } from '../sahut/index.ts';
import { type Check, checksOf, messageOf } from './types.ts';

/** Beyond this, the host's clock is worth fixing: audit times, schedules and Retry-After dates use it. */
const MAX_SKEW_MS = 30_000;

/** The key works (one list call, `GET /contacts?per_page=1`), what Sahut says of its limits, and the clock. */
export async function sahutChecks(config: Readonly<Config>): Promise<Check[]> {
  const { checks, ok, warn, fail } = checksOf('sahut');
  const { baseUrl, apiKey, timeoutMs, rateLimit } = config.sahut;
  if (!apiKey) {
    fail('key', 'SAHUT_API_KEY is not set', 'set SAHUT_API_KEY to your Sahut API key (environment or .env)');
    return checks;
  }
  let last: RequestEvent | undefined;
  const client = createSahutClient({
    baseUrl,
    apiKey,
    timeouts: { connectMs: timeoutMs, headersMs: timeoutMs, bodyMs: timeoutMs },
    retry: { retries: 1 },
    onRequest: (event) => {
      last = event;
    },
  });
  const started = Date.now();
  try {
    const page = await client.list({ perPage: 1 });
    ok('key', `${baseUrl}: GET /contacts answered ${last?.status ?? 200}; ${page.meta.total} contacts`);
  } catch (err) {
    if (err instanceof SahutRequestError && (err.status === 401 || err.status === 403))
      fail(
        'key',
        `${baseUrl} refused the key (HTTP ${err.status})`,
        'check SAHUT_API_KEY, and SAHUT_BASE_URL: a key works only with the Sahut it was issued by',
      );
    else
      fail(
        'reachable',
        `${baseUrl}: ${messageOf(err)}`,
        'check SAHUT_BASE_URL (e.g. https://api.sahut.id/v1) and that this host may reach it',
      );
    return checks;
  } finally {
    await client.close();
  }
  const headers = last?.headers ?? {};
  const limits = Object.entries(headers).filter(([name]) => name.includes('ratelimit'));
  ok(
    'rate limit',
    limits.length > 0
      ? `Sahut says ${limits.map(([n, v]) => `${n}: ${v}`).join(', ')}; SAHUT_RATE_LIMIT=${rateLimit}/s`
      : `no rate-limit headers; requests are paced to SAHUT_RATE_LIMIT=${rateLimit}/s`,
  );
  const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  if (Number.isNaN(date)) {
    ok('clock', 'Sahut sent no Date header: not checked');
    return checks;
  }
  // The header has whole seconds and was stamped somewhere within the exchange: allow for both.
  const midway = (started + Date.now()) / 2;
  const skew = date - midway;
  const seconds = Math.round(Math.abs(skew) / 1000);
  if (Math.abs(skew) > MAX_SKEW_MS + (Date.now() - started) / 2 + 1000)
    warn(
      'clock',
      `this host's clock is ${seconds} s ${skew < 0 ? 'ahead of' : 'behind'} Sahut's`,
      'synchronise it (NTP): audit times, schedules and Retry-After dates use it',
    );
  else ok('clock', `within ${Math.max(1, seconds)} s of Sahut's`);
  return checks;
}
