/** A version of a record search will show, from `at` on (null: gone from search). */
interface Version<T> {
  at: number;
  record: T | null;
}

/**
 * HubSpot's search index lags writes by "a few moments": each write queues the version search
 * will show once `lagMs` has passed; get and list read the live record meanwhile.
 */
export class SearchIndex<T> {
  lagMs: number;
  readonly #shown = new Map<string, T>();
  readonly #pending = new Map<string, Version<T>[]>();
  constructor(lagMs: number) {
    this.lagMs = lagMs;
  }

  queue(id: string, record: T | null, at: number): void {
    const versions = this.#pending.get(id) ?? [];
    // In write order: a later write never becomes visible before an earlier one.
    versions.push({ at: Math.max(at + this.lagMs, versions.at(-1)?.at ?? 0), record });
    this.#pending.set(id, versions);
  }

  visible(now: number): T[] {
    for (const [id, versions] of this.#pending) {
      while (versions[0] && versions[0].at <= now) {
        const { record } = versions.shift() as Version<T>;
        if (record) this.#shown.set(id, record);
        else this.#shown.delete(id);
      }
      if (versions.length === 0) this.#pending.delete(id);
    }
    return [...this.#shown.values()];
  }

  clear(): void {
    this.#shown.clear();
    this.#pending.clear();
  }
}
