import type { CountryCode } from 'libphonenumber-js/max';
import { CALCULATED_PROPERTIES, calculatedPhones } from './phone.ts';
import { BUILT_IN_PROPERTIES, READ_ONLY } from './properties.ts';
import { SearchIndex } from './search-index.ts';

export interface HistoryEntry {
  value: string;
  timestamp: number;
  sourceType: string;
}

export interface Contact {
  id: string;
  properties: Record<string, string>;
  history: Record<string, HistoryEntry[]>;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
  archivedAt?: number;
  /** Set on an id absorbed by a merge: reads of it answer the merged record. */
  mergedInto?: string;
}

export type ContactEvent =
  | { type: 'contact.creation'; objectId: string; at: number }
  | {
      type: 'contact.propertyChange';
      objectId: string;
      at: number;
      propertyName: string;
      propertyValue: string;
    }
  | { type: 'contact.deletion'; objectId: string; at: number }
  | {
      type: 'contact.merge';
      objectId: string;
      at: number;
      primaryObjectId: string;
      mergedObjectIds: string[];
    };

export class WriteRefused extends Error {
  readonly status: number;
  readonly category: string;
  constructor(status: number, category: string, message: string) {
    super(message);
    this.status = status;
    this.category = category;
  }
}

export interface ContactStoreOptions {
  region: CountryCode;
  customProperties: readonly string[];
  indexLagMs: number;
  now: () => number;
  onEvent: (event: ContactEvent) => void;
}

export interface SeedInput {
  id?: string;
  properties: Record<string, string>;
  /** Epoch ms stamped as `lastmodifieddate` (default: now). */
  updatedAt?: number;
}

/**
 * The account's contacts. Every write stamps `lastmodifieddate` and `updatedAt`, recomputes the
 * phone properties HubSpot calculates, keeps the property history and queues the version search
 * will see once the index catches up.
 */
export class ContactStore {
  readonly #byId = new Map<string, Contact>();
  readonly #index: SearchIndex<Contact>;
  readonly #writable: Set<string>;
  #nextId = 101;
  private readonly opts: ContactStoreOptions;
  constructor(opts: ContactStoreOptions) {
    this.opts = opts;
    this.#writable = new Set([...BUILT_IN_PROPERTIES, ...opts.customProperties]);
    this.#index = new SearchIndex(opts.indexLagMs);
  }

  /** The account's contact properties as `GET /crm/v3/properties/contacts` lists them. */
  propertyDefinitions() {
    const names = [...this.#writable, ...READ_ONLY];
    const type = (n: string) =>
      n === 'createdate' || n === 'lastmodifieddate'
        ? 'datetime'
        : n === 'hs_object_id'
          ? 'number'
          : 'string';
    return names.map((name) => ({
      name,
      label: name,
      type: type(name),
      fieldType: 'text',
      modificationMetadata: { readOnlyValue: READ_ONLY.has(name) },
    }));
  }

  setIndexLag(ms: number) {
    this.#index.lagMs = ms;
  }

  /** Live record by id (merged ids resolve to the merged record), archived ones only when asked. */
  get(id: string, archived = false): Contact | undefined {
    let found = this.#byId.get(id);
    while (found?.mergedInto) found = this.#byId.get(found.mergedInto);
    if (!found || found.archived !== archived) return undefined;
    return found;
  }

  byEmail(email: string): Contact | undefined {
    const wanted = email.toLowerCase();
    for (const c of this.#byId.values())
      if (!c.archived && !c.mergedInto && c.properties.email?.toLowerCase() === wanted) return c;
    return undefined;
  }

  /** Live (or archived) records in id order, as the list endpoint pages them. */
  list(archived: boolean): Contact[] {
    return [...this.#byId.values()]
      .filter((c) => c.archived === archived && !c.mergedInto)
      .sort((a, b) => compareIds(a.id, b.id));
  }

  /** What search sees at this moment. */
  searchable(): Contact[] {
    return this.#index.visible(this.opts.now());
  }

  create(properties: Record<string, string>): Contact {
    this.#checkWritable(properties);
    this.#checkEmailFree(properties.email, null);
    const id = this.#newId();
    return this.#write(id, properties, this.opts.now(), true);
  }

  update(id: string, properties: Record<string, string>): Contact {
    const found = this.get(id);
    if (!found)
      throw new WriteRefused(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
    this.#checkWritable(properties);
    this.#checkEmailFree(properties.email, found.id);
    return this.#write(found.id, properties, this.opts.now(), false);
  }

  /** Seeds records as they are (ids and stamps given), bypassing validation but not the index. */
  seed(inputs: readonly SeedInput[]): Contact[] {
    return inputs.map((input) => {
      const id = input.id ?? this.#newId();
      if (/^\d+$/.test(id)) this.#nextId = Math.max(this.#nextId, Number(id) + 1);
      return this.#write(
        id,
        input.properties,
        input.updatedAt ?? this.opts.now(),
        !this.#byId.has(id),
        false,
      );
    });
  }

  /** A bulk job that stamps every given record with the same millisecond (HubSpot imports do). */
  touchAll(ids: readonly string[], properties: Record<string, string>, at = this.opts.now()): void {
    for (const id of ids) this.#write(id, properties, at, false, false);
  }

  archive(id: string): boolean {
    const found = this.get(id);
    if (!found) return false;
    const at = this.opts.now();
    found.archived = true;
    found.archivedAt = at;
    this.#index.queue(found.id, null, at);
    this.opts.onEvent({ type: 'contact.deletion', objectId: found.id, at });
    return true;
  }

  /** Merges two contacts into a new record with a new id; both old ids resolve to it. */
  merge(primaryId: string, otherId: string): Contact {
    const primary = this.get(primaryId);
    const other = this.get(otherId);
    if (!primary || !other || primary.id === other.id)
      throw new WriteRefused(400, 'VALIDATION_ERROR', 'Both objects must exist and differ to be merged');
    const at = this.opts.now();
    const merged = { ...other.properties, ...primary.properties };
    const absorbed = [primary.id, other.id];
    for (const name of ['hs_object_id', 'createdate', 'lastmodifieddate']) delete merged[name];
    const id = this.#newId();
    for (const old of [primary, other]) {
      old.mergedInto = id;
      this.#index.queue(old.id, null, at);
    }
    const contact = this.#write(id, { ...merged, hs_merged_object_ids: absorbed.join(';') }, at, true, false);
    this.opts.onEvent({
      type: 'contact.merge',
      objectId: id,
      at,
      primaryObjectId: primary.id,
      mergedObjectIds: [other.id],
    });
    return contact;
  }

  all(): Contact[] {
    return [...this.#byId.values()].map((c) => structuredClone(c));
  }

  clear(): void {
    this.#byId.clear();
    this.#index.clear();
  }

  #newId(): string {
    while (this.#byId.has(String(this.#nextId))) this.#nextId += 1;
    return String(this.#nextId++);
  }

  #checkWritable(properties: Record<string, string>) {
    for (const name of Object.keys(properties)) {
      if (READ_ONLY.has(name))
        throw new WriteRefused(
          400,
          'VALIDATION_ERROR',
          `Property values were not valid: ${name} is a read only property`,
        );
      if (!this.#writable.has(name))
        throw new WriteRefused(
          400,
          'VALIDATION_ERROR',
          `Property values were not valid: Property "${name}" does not exist`,
        );
    }
  }

  #checkEmailFree(email: string | undefined, self: string | null) {
    if (!email) return;
    const holder = this.byEmail(email);
    if (holder && holder.id !== self)
      throw new WriteRefused(409, 'CONFLICT', `Contact already exists. Existing ID: ${holder.id}`);
  }

  #write(
    id: string,
    properties: Record<string, string>,
    at: number,
    created: boolean,
    events = true,
  ): Contact {
    const contact: Contact = this.#byId.get(id) ?? {
      id,
      properties: {},
      history: {},
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
    const changed: string[] = [];
    for (const [name, value] of Object.entries(properties)) {
      if (value === '') {
        if (name in contact.properties) changed.push(name);
        delete contact.properties[name];
      } else if (contact.properties[name] !== value) {
        contact.properties[name] = value;
        changed.push(name);
      }
      const history = contact.history[name] ?? [];
      contact.history[name] = history;
      history.unshift({ value, timestamp: at, sourceType: 'INTEGRATION' });
      history.length = Math.min(history.length, 20);
    }
    for (const name of CALCULATED_PROPERTIES) delete contact.properties[name];
    Object.assign(contact.properties, calculatedPhones(contact.properties, this.opts.region), {
      hs_object_id: id,
      createdate: new Date(contact.createdAt).toISOString(),
      lastmodifieddate: new Date(at).toISOString(),
    });
    contact.updatedAt = at;
    this.#byId.set(id, contact);
    this.#index.queue(id, structuredClone(contact), at);
    if (!events) return contact;
    if (created) this.opts.onEvent({ type: 'contact.creation', objectId: id, at });
    else
      for (const name of changed)
        this.opts.onEvent({
          type: 'contact.propertyChange',
          objectId: id,
          at,
          propertyName: name,
          propertyValue: contact.properties[name] ?? '',
        });
    return contact;
  }
}

/** HubSpot ids are numbers written as strings; seeded test ids may not be, and then sort as text. */
export function compareIds(a: string, b: string): number {
  const numeric = /^\d+$/.test(a) && /^\d+$/.test(b);
  if (numeric) return Number(a) - Number(b) || 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
