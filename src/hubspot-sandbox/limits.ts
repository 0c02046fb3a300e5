import type { PolicyName } from './errors.ts';

/** HubSpot's limits for one private app (Free/Starter figures by default). */
export interface LimitSettings {
  /** Requests per rolling 10 s, search excluded. */
  tenSecondly: number;
  /** Search requests per rolling second. */
  searchSecondly: number;
  /** Requests per day for the account, search included. */
  daily: number;
}

export const DEFAULT_LIMITS: LimitSettings = { tenSecondly: 100, searchSecondly: 5, daily: 250_000 };

export interface LimitCounters {
  /** Most requests seen in any rolling 10 s (accepted ones), and in any second for search. */
  peakTenSecondly: number;
  peakSearchSecondly: number;
  /** Requests counted against the daily budget. */
  daily: number;
  /** 429s answered because a limit was reached, by policy (injected 429s are not counted here). */
  rejected: Record<PolicyName, number>;
}

/** When each accepted request arrived (epoch ms, the sandbox's clock), in order. */
export interface Arrivals {
  search: number[];
  other: number[];
}

/** Rolling windows of accepted requests; one instance per app (token). */
export class Limits {
  #tenSecondly: number[] = [];
  #searchSecondly: number[] = [];
  // Bounded by the daily limit; lets tests measure the share of a limit a run used.
  #arrivals: Arrivals = { search: [], other: [] };
  #counters: LimitCounters = fresh();
  settings: LimitSettings;
  private readonly now: () => number;
  constructor(settings: LimitSettings, now: () => number) {
    this.settings = settings;
    this.now = now;
  }

  /** Counts the request or names the policy it breaks. */
  admit(search: boolean): PolicyName | null {
    const t = this.now();
    if (this.#counters.daily >= this.settings.daily) return this.#reject('DAILY');
    const window = search ? this.#searchSecondly : this.#tenSecondly;
    const span = search ? 1000 : 10_000;
    while (window.length > 0 && (window[0] ?? 0) <= t - span) window.shift();
    const max = search ? this.settings.searchSecondly : this.settings.tenSecondly;
    if (window.length >= max) return this.#reject(search ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING');
    window.push(t);
    (search ? this.#arrivals.search : this.#arrivals.other).push(t);
    this.#counters.daily += 1;
    if (search)
      this.#counters.peakSearchSecondly = Math.max(this.#counters.peakSearchSecondly, window.length);
    else this.#counters.peakTenSecondly = Math.max(this.#counters.peakTenSecondly, window.length);
    return null;
  }

  /** The `X-HubSpot-RateLimit-*` headers of a non-search response. */
  headers(): Record<string, string> {
    return {
      'x-hubspot-ratelimit-max': String(this.settings.tenSecondly),
      'x-hubspot-ratelimit-remaining': String(
        Math.max(0, this.settings.tenSecondly - this.#tenSecondly.length),
      ),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-daily': String(this.settings.daily),
      'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, this.settings.daily - this.#counters.daily)),
    };
  }

  counters(): LimitCounters {
    return structuredClone(this.#counters);
  }

  arrivals(): Arrivals {
    return structuredClone(this.#arrivals);
  }

  reset(): void {
    this.#tenSecondly = [];
    this.#searchSecondly = [];
    this.#arrivals = { search: [], other: [] };
    this.#counters = fresh();
  }

  #reject(policy: PolicyName): PolicyName {
    this.#counters.rejected[policy] += 1;
    return policy;
  }
}

const fresh = (): LimitCounters => ({
  peakTenSecondly: 0,
  peakSearchSecondly: 0,
  daily: 0,
  rejected: { TEN_SECONDLY_ROLLING: 0, SECONDLY: 0, DAILY: 0 },
});
