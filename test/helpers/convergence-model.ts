/**
 * An independent, deliberately plain model of what a two-way connection must
 * converge to, written from docs/directions.md and the mapping's documented rules, not
 * from the engine's code. Per record it keeps what the CRM and Sahut hold, the
 * base both last agreed on, and what each side held at the last sync (a run
 * only looks at a record whose side changed since: its hash differs).
 *
 * The rules, per field, with b = base, c = CRM, s = Sahut:
 * - owner crm: c everywhere (an agent's edit is put back);
 * - owner sahut: s everywhere (a CRM edit is overwritten);
 * - owner both: a change on one side wins; both changed → tags are set-merged
 *   (the CRM's list without what Sahut removed, then Sahut's additions), any
 *   other field goes to `onConflict`;
 * - a phone or email that another linked record holds is not written to the
 *   CRM: the CRM keeps its value (and so does the base), Sahut keeps its own.
 */
export interface Fields {
  name: string;
  phone: string;
  email: string;
  company: string;
  tags: string[];
  tier: string;
}
export type Field = keyof Fields;
export type Side = 'crm' | 'sahut';
export type Direction = 'crm-to-sahut' | 'sahut-to-crm';

export const FIELDS: readonly Field[] = ['name', 'phone', 'email', 'company', 'tags', 'tier'];
export const OWNERS: Readonly<Record<Field, 'crm' | 'sahut' | 'both'>> = {
  name: 'crm',
  phone: 'both',
  email: 'both',
  company: 'both',
  tags: 'both',
  tier: 'sahut',
};

/** The mapping the model describes (CRM columns named after the fields). */
export const MODEL_MAPPING_YAML = `
fields:
  name:    { from: name, owner: crm }
  phone:   { from: phone, owner: both }
  email:   { from: email, owner: both }
  company: { from: company, owner: both }
  tags:    { from: tags, transform: split, separator: ";", owner: both }
  custom_attributes.tier: { from: tier, owner: sahut }
`;

interface RecordState {
  crm: Fields;
  sahut: Fields;
  base: Fields;
  /** Each side as the last sync left it: a run looks at the record only when its side differs. */
  crmSynced: Fields;
  sahutSynced: Fields;
  /** Times a phone or email was held back from this record's CRM row. */
  heldBack: number;
}

type Value = Fields[Field];

/** Tags are sets to the merge; scalars are compared as they are. */
export function sameValue(field: Field, a: Value, b: Value): boolean {
  if (field !== 'tags') return a === b;
  const [x, y] = [new Set(a as string[]), new Set(b as string[])];
  return x.size === y.size && [...x].every((t) => y.has(t));
}

// A hash sees the tags' order, so a reordering alone makes a run look at the record.
const sameState = (a: Fields, b: Fields) => JSON.stringify(a) === JSON.stringify(b);
const copy = (f: Fields): Fields => ({ ...f, tags: [...f.tags] });

export class ConvergenceModel {
  readonly records: RecordState[];
  readonly #onConflict: Side;

  constructor(initial: readonly Fields[], onConflict: Side) {
    this.#onConflict = onConflict;
    // The first crm-to-sahut run creates every contact from its CRM record.
    this.records = initial.map((f) => ({
      crm: copy(f),
      sahut: copy(f),
      base: copy(f),
      crmSynced: copy(f),
      sahutSynced: copy(f),
      heldBack: 0,
    }));
  }

  edit(side: Side, index: number, field: Field, value: Value): void {
    const record = this.#at(index);
    Object.assign(record[side], { [field]: field === 'tags' ? [...(value as string[])] : value });
  }

  run(direction: Direction): void {
    for (const record of this.records) {
      const changed =
        direction === 'crm-to-sahut'
          ? !sameState(record.crm, record.crmSynced)
          : !sameState(record.sahut, record.sahutSynced);
      if (changed) this.#reconcile(record);
    }
  }

  #reconcile(record: RecordState): void {
    const { base, crm, sahut } = record;
    for (const field of FIELDS) {
      const merged = this.#decide(field, base[field], crm[field], sahut[field]);
      if ((field === 'phone' || field === 'email') && !sameValue(field, merged, crm[field])) {
        const holder = this.records.find((other) => other !== record && other.base[field] === merged);
        if (holder) {
          base[field] = crm[field];
          record.heldBack++;
          continue;
        }
      }
      Object.assign(base, { [field]: merged });
      if (!sameValue(field, merged, crm[field])) Object.assign(crm, { [field]: merged });
      if (!sameValue(field, merged, sahut[field])) Object.assign(sahut, { [field]: merged });
    }
    record.crmSynced = copy(crm);
    record.sahutSynced = copy(sahut);
  }

  #decide(field: Field, b: Value, c: Value, s: Value): Value {
    const owner = OWNERS[field];
    if (owner === 'crm') return c;
    if (owner === 'sahut') return s;
    const same = (x: Value, y: Value) => sameValue(field, x, y);
    if (same(c, s) || same(s, b)) return c;
    if (same(c, b)) return s;
    if (field === 'tags') {
      const [base, crm, sahut] = [b, c, s] as [string[], string[], string[]];
      const removed = base.filter((t) => !sahut.includes(t));
      const kept = crm.filter((t) => !removed.includes(t));
      return [...kept, ...sahut.filter((t) => !base.includes(t) && !crm.includes(t))];
    }
    return this.#onConflict === 'crm' ? c : s;
  }

  #at(index: number): RecordState {
    const record = this.records[index];
    if (!record) throw new Error(`model: no record ${index}`);
    return record;
  }
}
