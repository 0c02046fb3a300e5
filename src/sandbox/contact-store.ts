import { isoSeconds, newContactId } from './ids.ts';
import type { CreateBody, StoredContact, UpdateBody } from './validation.ts';

/** What `seed` accepts: any missing field gets its empty value, a missing id a fresh one. */
export type SeedContact = Partial<StoredContact> & { name: string };

export interface ListFilter {
  q?: string;
  tag?: string;
  page: number;
  perPage: number;
}

interface Entry {
  contact: StoredContact;
  /** Lower-cased name, phone and email, joined so one `includes` searches all three. */
  haystack: string;
}

const haystackOf = (c: StoredContact): string =>
  [c.name, c.phone ?? '', c.email ?? ''].join('\n').toLowerCase();

/**
 * In-memory contacts in creation order. There is no DELETE in the contract (only the
 * test-only admin route removes one), so an array of entries gives unfiltered pages by
 * slicing; filtered pages scan linearly, which stays in the low milliseconds at 10k contacts.
 */
export class ContactStore {
  readonly #byId = new Map<string, Entry>();
  #order: Entry[] = [];
  readonly #newestFirst: boolean;

  /** `newestFirst`: lists put the latest contact first, so a write during a scan shifts every page. */
  constructor(opts: { newestFirst?: boolean } = {}) {
    this.#newestFirst = opts.newestFirst ?? false;
  }

  get size(): number {
    return this.#order.length;
  }

  get(id: string): StoredContact | undefined {
    return this.#byId.get(id)?.contact;
  }

  list(filter: ListFilter): { data: StoredContact[]; total: number } {
    const start = (filter.page - 1) * filter.perPage;
    const end = start + filter.perPage;
    const q = filter.q ? filter.q.toLowerCase() : '';
    const tag = filter.tag ?? '';
    if (!q && !tag) {
      const n = this.size;
      const slice = this.#newestFirst
        ? this.#order.slice(Math.max(0, n - end), Math.max(0, n - start)).reverse()
        : this.#order.slice(start, end);
      return { data: slice.map((e) => e.contact), total: n };
    }
    const data: StoredContact[] = [];
    let total = 0;
    const order = this.#newestFirst ? this.#order.toReversed() : this.#order;
    for (const entry of order) {
      if (q && !entry.haystack.includes(q)) continue;
      if (tag && !entry.contact.tags.includes(tag)) continue;
      if (total >= start && total < end) data.push(entry.contact);
      total++;
    }
    return { data, total };
  }

  create(body: CreateBody): StoredContact {
    return this.#insert({
      id: this.#freshId(),
      name: body.name,
      phone: body.phone ?? null,
      email: body.email ?? null,
      company: body.company ?? null,
      tags: body.tags ?? [],
      custom_attributes: body.custom_attributes ?? {},
      created_at: isoSeconds(),
    });
  }

  /**
   * Partial update. `tags` replaces the list (the contract's example sends the full
   * list). `custom_attributes` merges per key: the contract is silent, and a merge
   * lets a caller that manages only some attributes leave the others alone.
   */
  update(id: string, patch: UpdateBody): StoredContact | undefined {
    const entry = this.#byId.get(id);
    if (!entry) return undefined;
    const { custom_attributes, ...rest } = patch;
    const next: StoredContact = { ...entry.contact };
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) Object.assign(next, { [key]: value });
    }
    if (custom_attributes) next.custom_attributes = { ...next.custom_attributes, ...custom_attributes };
    entry.contact = next;
    entry.haystack = haystackOf(next);
    return next;
  }

  /** Removes a contact (the admin route: Sahut's API itself has no DELETE); false when there is none. */
  remove(id: string): boolean {
    const entry = this.#byId.get(id);
    if (!entry) return false;
    this.#byId.delete(id);
    this.#order.splice(this.#order.indexOf(entry), 1);
    return true;
  }

  /**
   * What an agent's merge in Sahut's inbox does: `absorbed` disappears, `survivor` keeps its id
   * and gains the absorbed contact's phone and email where it had none, and its tags.
   */
  merge(survivorId: string, absorbedId: string): StoredContact | undefined {
    const survivor = this.#byId.get(survivorId)?.contact;
    const absorbed = this.#byId.get(absorbedId)?.contact;
    if (!survivor || !absorbed || survivorId === absorbedId) return undefined;
    this.remove(absorbedId);
    return this.update(survivorId, {
      phone: survivor.phone ?? absorbed.phone,
      email: survivor.email ?? absorbed.email,
      tags: [...new Set([...survivor.tags, ...absorbed.tags])],
    });
  }

  /** Pre-loads contacts as given (no format checks: tests may plant data the API would refuse). */
  seed(contacts: readonly SeedContact[]): StoredContact[] {
    return contacts.map((c) => {
      if (c.id !== undefined && this.#byId.has(c.id)) throw new Error(`seed: duplicate contact id ${c.id}`);
      return this.#insert({
        id: c.id ?? this.#freshId(),
        name: c.name,
        phone: c.phone ?? null,
        email: c.email ?? null,
        company: c.company ?? null,
        tags: [...(c.tags ?? [])],
        custom_attributes: { ...c.custom_attributes },
        created_at: c.created_at ?? isoSeconds(),
      });
    });
  }

  /** Every contact in creation order; copies, so callers cannot change the store behind its back. */
  all(): StoredContact[] {
    return this.#order.map((e) => structuredClone(e.contact));
  }

  clear(): void {
    this.#byId.clear();
    this.#order = [];
  }

  #insert(contact: StoredContact): StoredContact {
    const entry = { contact, haystack: haystackOf(contact) };
    this.#byId.set(contact.id, entry);
    this.#order.push(entry);
    return contact;
  }

  #freshId(): string {
    let id = newContactId();
    while (this.#byId.has(id)) id = newContactId();
    return id;
  }
}
