/** How a request ended: its HTTP status, or what a fault did to the connection instead. */
export type RequestOutcome = number | 'reset' | 'dropped';

/** Per-route request counters, public on purpose so tests can assert "exactly one POST". */
export class RequestCounters {
  #byRoute = new Map<string, number>();
  #byOutcome = new Map<string, Map<string, number>>();

  /** Called when a request arrives, before auth and faults, so every attempt counts. */
  arrived(route: string): void {
    this.#byRoute.set(route, (this.#byRoute.get(route) ?? 0) + 1);
  }

  ended(route: string, outcome: RequestOutcome): void {
    const outcomes = this.#byOutcome.get(route) ?? new Map<string, number>();
    outcomes.set(String(outcome), (outcomes.get(String(outcome)) ?? 0) + 1);
    this.#byOutcome.set(route, outcomes);
  }

  /** `{ 'GET /contacts': 12, 'POST /contacts': 3 }` */
  byRoute(): Record<string, number> {
    return Object.fromEntries(this.#byRoute);
  }

  /** `{ 'POST /contacts': { '201': 1, '503': 5, dropped: 1 } }` */
  byOutcome(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.#byOutcome].map(([route, m]) => [route, Object.fromEntries(m)]));
  }

  reset(): void {
    this.#byRoute = new Map();
    this.#byOutcome = new Map();
  }
}
