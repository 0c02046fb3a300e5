import {
  type ConflictRow,
  type Edit,
  type Field,
  type Owner,
  SCALAR_FIELDS,
  type ScalarField,
  type Side,
  type Values,
  type WindowOverwrite,
} from './edits.ts';

/**
 * What became of one edit:
 * - `survived`: both sides hold it at the end;
 * - `superseded`: a later edit of the same field (or tag) replaced it;
 * - `owner`: the other side owns the field, so the edit was put back (an agent's rename of a
 *   CRM-owned name, a CRM edit of a Sahut-owned attribute);
 * - `conflict`: it lost a conflict the audit wrote down, naming its value, as `onConflict` says;
 * - `window`: the sync's write overwrote it inside the other side's read → write window (no
 *   conditional update): an agent's edit within Sahut's GET → PUT, a person's within HubSpot's
 *   batch read → batch update;
 * - `lost`: none of these: a lost update.
 */
export type Fate = 'survived' | 'superseded' | 'owner' | 'conflict' | 'window' | 'lost';

export interface FateInput {
  owners: Readonly<Record<Field, Owner>>;
  onConflict: Side;
  /** Every record's values when the soak began, or when the editor inserted it. */
  initial: ReadonlyMap<string, Values>;
  /**
   * When the contact of a row inserted during the soak was created: a contact is created with every
   * field the row holds, so a CRM edit of a Sahut-owned field before then may be what it got.
   */
  createdAt?: ReadonlyMap<string, number>;
  edits: readonly Edit[];
  conflicts: readonly ConflictRow[];
  window: readonly WindowOverwrite[];
  /** Both sides at the end; `null` for a side that holds no such record. */
  final: ReadonlyMap<string, { crm: Values | null; sahut: Values | null }>;
}

export interface Finding {
  record: string;
  field: string;
  what: string;
}

export interface FateVerdict {
  fates: Map<number, Fate>;
  lost: Finding[];
  divergent: Finding[];
  phantom: Finding[];
  window: Finding[];
}

/** Judges every edit and every field from the edit log, the audit's conflicts and both sides' end state. */
export function classifyFates(input: FateInput): FateVerdict {
  const v: FateVerdict = { fates: new Map(), lost: [], divergent: [], phantom: [], window: [] };
  const byRecordField = new Map<string, Edit[]>();
  for (const e of [...input.edits].sort((a, b) => a.at - b.at || a.seq - b.seq)) {
    const key = `${e.record}\u0000${e.field}`;
    byRecordField.set(key, [...(byRecordField.get(key) ?? []), e]);
  }
  const records = new Set([...input.initial.keys(), ...input.final.keys()]);
  for (const record of records) {
    const end = input.final.get(record);
    if (!end?.crm || !end.sahut) {
      v.divergent.push({ record, field: '*', what: `only ${end?.crm ? 'the CRM' : 'Sahut'} holds it` });
      continue;
    }
    const judged = { crm: end.crm, sahut: end.sahut };
    const initial = input.initial.get(record) ?? {};
    for (const field of SCALAR_FIELDS) {
      const edits = byRecordField.get(`${record}\u0000${field}`) ?? [];
      const created = input.createdAt?.get(record) ?? Number.NEGATIVE_INFINITY;
      judgeScalar(input, v, { record, field, edits, initial: initial[field] ?? null, created, ...judged });
    }
    judgeTags(input, v, {
      record,
      edits: byRecordField.get(`${record}\u0000tags`) ?? [],
      initial: initial.tags ?? [],
      ...judged,
    });
  }
  return v;
}

interface ScalarCase {
  record: string;
  field: ScalarField;
  edits: Edit[];
  initial: string | null;
  created: number;
  crm: Values;
  sahut: Values;
}

function judgeScalar(input: FateInput, v: FateVerdict, c: ScalarCase) {
  const { record, field } = c;
  const crm = c.crm[field] ?? null;
  const sahut = c.sahut[field] ?? null;
  if (crm !== sahut) v.divergent.push({ record, field, what: `CRM ${show(crm)}, Sahut ${show(sahut)}` });
  const written = new Set([c.initial, ...c.edits.map((e) => e.value)]);
  for (const [side, value] of [
    ['CRM', crm],
    ['Sahut', sahut],
  ] as const)
    if (!written.has(value))
      v.phantom.push({ record, field, what: `${side} holds ${show(value)}, never written` });

  const owner = input.owners[field];
  const relevant = c.edits.filter((e) => owner === 'both' || e.side === owner);
  for (const e of c.edits) v.fates.set(e.seq, owner === 'both' || e.side === owner ? 'superseded' : 'owner');
  // The owner's side is what the verdict reads (CRM for `both`): a divergence is counted apart.
  const held = owner === 'sahut' ? sahut : crm;
  const last = relevant.at(-1);
  // What the contact may have been created with: the row as inserted, or as edited before then.
  const start = new Set([c.initial, ...c.edits.filter((e) => e.at <= c.created).map((e) => e.value)]);
  if (!last) {
    if (!start.has(held))
      v.lost.push({
        record,
        field,
        what: `${show(c.initial)} (never edited by its owner) became ${show(held)}`,
      });
    return;
  }
  if (held === last.value) return void v.fates.set(last.seq, 'survived');
  if (overwrittenInWindow(input.window, last)) {
    v.fates.set(last.seq, 'window');
    v.window.push({ record, field, what: describe(last, show(held)) });
    return;
  }
  if (lostConflict(input, last)) return void v.fates.set(last.seq, 'conflict');
  v.fates.set(last.seq, 'lost');
  v.lost.push({ record, field, what: describe(last, show(held)) });
}

interface TagsCase {
  record: string;
  edits: Edit[];
  initial: string[];
  crm: Values;
  sahut: Values;
}

/** Tags are merged set-wise, so each tag is judged alone: its last addition or removal decides. */
function judgeTags(input: FateInput, v: FateVerdict, c: TagsCase) {
  const { record } = c;
  const crm = new Set(c.crm.tags ?? []);
  const sahut = new Set(c.sahut.tags ?? []);
  if (crm.size !== sahut.size || [...crm].some((t) => !sahut.has(t)))
    v.divergent.push({ record, field: 'tags', what: `CRM ${show([...crm])}, Sahut ${show([...sahut])}` });
  const added = new Set([...c.initial, ...c.edits.filter((e) => e.op === 'add').map((e) => e.value)]);
  for (const tag of new Set([...crm, ...sahut]))
    if (!added.has(tag)) v.phantom.push({ record, field: 'tags', what: `tag ${show(tag)} never added` });

  const byTag = new Map<string | null, Edit[]>();
  for (const e of c.edits) {
    byTag.set(e.value, [...(byTag.get(e.value) ?? []), e]);
    v.fates.set(e.seq, 'superseded');
  }
  for (const tag of new Set([...c.initial, ...byTag.keys()])) {
    if (tag === null) continue;
    const last = byTag.get(tag)?.at(-1);
    const expected = last ? last.op === 'add' : c.initial.includes(tag);
    if (crm.has(tag) === expected) {
      if (last) v.fates.set(last.seq, 'survived');
      continue;
    }
    const what = last
      ? describe(last, crm.has(tag) ? 'the tag' : 'no such tag')
      : `tag ${show(tag)} ${expected ? 'removed' : 'added'} by nobody`;
    if (last && overwrittenInWindow(input.window, last)) {
      v.fates.set(last.seq, 'window');
      v.window.push({ record, field: 'tags', what });
      continue;
    }
    if (last) v.fates.set(last.seq, 'lost');
    v.lost.push({ record, field: 'tags', what });
  }
}

/** A sync write inside its window carried this field with another value (tags: without the edit's change). */
function overwrittenInWindow(window: readonly WindowOverwrite[], edit: Edit): boolean {
  return window.some((w) => {
    if (w.editSeq !== edit.seq || !(edit.field in w.body)) return false;
    const sent = w.body[edit.field];
    if (edit.field !== 'tags')
      return (sent ?? null) !== edit.value && (sent ?? null) !== (edit.raw ?? edit.value);
    const has = Array.isArray(sent) && sent.includes(edit.value);
    return has !== (edit.op === 'add');
  });
}

/** The audit wrote down a conflict naming this edit's value on its side, resolved as the owner rules say. */
function lostConflict(input: FateInput, edit: Edit): boolean {
  const owner = input.owners[edit.field];
  const winner = owner === 'both' ? input.onConflict : owner;
  if (winner === edit.side) return false;
  return input.conflicts.some(
    (c) =>
      c.record === edit.record &&
      c.field === edit.field &&
      c.resolution === winner &&
      (edit.side === 'crm' ? c.crm : c.sahut) === edit.value,
  );
}

/** `held`: what the end holds, as shown (a value, or whether the tag is there). */
function describe(edit: Edit, held: string): string {
  const at = new Date(edit.at).toISOString().slice(11, 23);
  const what = edit.op === 'set' ? `set ${show(edit.value)}` : `${edit.op} tag ${show(edit.value)}`;
  return `edit #${edit.seq} at ${at} by ${edit.side}: ${what}; the end holds ${held}`;
}

const show = (value: unknown) => JSON.stringify(value ?? null);
