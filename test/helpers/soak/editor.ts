import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../../../src/config/index.ts';
import type { Contact } from '../../../src/domain/index.ts';
import { prepareRecord, projectSahut } from '../../../src/sync/index.ts';
import { pick, type Random, seededRandom } from '../chaos/schedule.ts';
import type { CrmRow } from '../crm-tables.ts';
import { API_KEY } from '../env.ts';
import type { Edit, Field, ScalarField, Side, Values } from './edits.ts';
import { AGENT_HEADER, type Journal } from './journal.ts';
import { type AgentCall, removers } from './removals.ts';
import type { SoakTable } from './tables.ts';

/** One CRM of the soak: its connection, its table and the contacts its rows were linked to at the start. */
export interface SoakCrm {
  connection: Connection;
  table: SoakTable;
  /** One digit that keeps this CRM's phones apart from the other's. */
  digit: number;
  /** CRM id → Sahut contact id, for the agents; every CRM id here is edited on the CRM side too. */
  contacts: Map<string, string>;
  /** CRM ids edited on the CRM side only (rows the editor inserted). */
  inserted: string[];
}

export interface EditorOptions {
  random: Random;
  crms: SoakCrm[];
  baseUrl: string;
  journal: Journal;
  /** Edits started per second, both sides together. */
  rate: number;
  /** Values of the rows the editor inserts, by record (`<connection>:<CRM id>`). */
  initial: Map<string, Values>;
}

const TAGS = ['lead', 'vip', 'jakarta', 'b2b', 'promo', 'churn-risk'];
const BOTH: Field[] = ['phone', 'email', 'company', 'tags'];
// Weights of what the next edit is: owners' own fields, both-owned fields, the pairs and the odd ones.
const KINDS = [
  ['crm', 0.255],
  ['agent', 0.255],
  ['pair', 0.1],
  ['crm-name', 0.07],
  ['agent-tier', 0.07],
  ['agent-name', 0.05],
  ['crm-tier', 0.05],
  ['insert', 0.1],
  // Removals, 5 % together: a record removed is edited no more (its contact leaves `contacts`).
  ['delete-soft', 0.01],
  ['delete-hard', 0.01],
  ['recreate', 0.01],
  ['sahut-delete', 0.01],
  ['sahut-merge', 0.01],
] as const;

/**
 * The soak's people: about `rate` edits a second on both sides, chosen by the seeded `random`.
 * CRM edits read the row `FOR UPDATE`, think up to 300 ms and write in the same transaction;
 * agents `GET` the contact and `PUT` one field through the sandbox's HTTP API (retrying its 5xx).
 * 10 % of the time the same field of one record is edited on both sides within a second. Every
 * edit is logged once visible. 5 % of the time a person is removed instead (`Deletion`): a CRM
 * row soft- or hard-deleted, deleted and entered again with the same phone and email, a contact
 * deleted or merged into another through the sandbox's admin routes. On HubSpot, which has no soft
 * delete, the soft deletions are merges of two contacts in HubSpot instead (`crm-merge`).
 */
export function startEditor(opts: EditorOptions) {
  const { random } = opts;
  const edits: Edit[] = [];
  const removals = removers(
    opts.journal,
    (...args) => call(...args),
    () => ++n,
  );
  const { deletions } = removals;
  /** Records removed: an edit of theirs still under way may meet a 404, on purpose. */
  const removed = new Set<string>();
  const errors: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let stopped = false;
  // Each removal at least once in any run: a kind of removal is forced on one of the first 60 draws.
  const forced = new Map<number, Kind>();
  for (const kind of REMOVALS) {
    let at = 5 + Math.floor(random() * 55);
    while (forced.has(at)) at++;
    forced.set(at, kind);
  }
  let drawn = 0;

  const log = (e: Omit<Edit, 'at'>) => void edits.push({ ...e, at: Date.now() });

  function launch(what: string, fn: () => Promise<void>) {
    const p = fn()
      .catch((err: unknown) => {
        errors.push(`${what}: ${String(err)}`);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  /** A CRM edit of `field` of row `id`: the new value is chosen from the row as locked. */
  async function crmEdit(crm: SoakCrm, id: string, field: Field, dice: Random) {
    const seq = ++n;
    let op: Edit['op'] = 'set';
    let tag = '';
    const scalar = field === 'tags' ? null : field;
    const written = await crm.table.change(
      id,
      (row) => {
        if (scalar === null) {
          const now = splitTags(row.tags);
          ({ op, tag } = tagChange(dice, now));
          const next = op === 'add' ? [...now, tag] : now.filter((t) => t !== tag);
          return { tags: next.join(';') };
        }
        return { [column(scalar)]: crmValue(scalar, seq, crm.digit) };
      },
      // A person's transaction holds the row lock a moment: write-backs meet it and wait.
      Math.floor(dice() * 300),
      seq,
    );
    if (!written) return;
    const record = `${crm.connection.name}:${id}`;
    if (scalar === null) log({ seq, side: 'crm', record, field, op, value: tag });
    else
      log({
        seq,
        side: 'crm',
        record,
        field,
        op,
        value: valuesOf(crm, { id, ...written } as CrmRow, scalar) ?? null,
        raw: String(Object.values(written)[0]),
      });
  }

  /** An agent's edit of `field` of the contact: GET, then PUT that one field. */
  async function agentEdit(crm: SoakCrm, id: string, field: Field, dice: Random) {
    const contactId = crm.contacts.get(id);
    if (!contactId) return;
    const seq = ++n;
    const record = `${crm.connection.name}:${id}`;
    await opts.journal.asAgent(contactId, async () => {
      const contact = await call('GET', `/contacts/${contactId}`, seq, undefined, record);
      if (!contact) return;
      let body: Record<string, unknown>;
      let op: Edit['op'] = 'set';
      let value: string;
      if (field === 'tags') {
        const now = contact.tags as string[];
        let tag: string;
        ({ op, tag } = tagChange(dice, now));
        value = tag;
        body = { tags: op === 'add' ? [...now, tag] : now.filter((t) => t !== tag) };
      } else {
        value = agentValue(field, seq, crm.digit);
        body = field.startsWith('custom_attributes.')
          ? { custom_attributes: { [field.slice('custom_attributes.'.length)]: value } }
          : { [field]: value };
      }
      if (await call('PUT', `/contacts/${contactId}`, seq, body, record))
        log({ seq, side: 'sahut', record, field, op, value });
    });
  }

  /**
   * One request of an agent, its 5xx retried. `null` for a 404 that is no surprise: the contact of
   * a removed record, or an admin route's retry whose first try went through.
   */
  async function call(...[method, path, seq, body, record]: Parameters<AgentCall>) {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${opts.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          [AGENT_HEADER]: String(seq),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status === 204) return {};
      if (res.ok) return (JSON.parse(text) as { data: Record<string, unknown> }).data;
      if (res.status === 404 && ((record && removed.has(record)) || (path.includes('_admin') && attempt > 1)))
        return null;
      if (res.status < 500 || attempt >= 8)
        throw new Error(`agent ${method} ${path}: HTTP ${res.status} ${text}`);
      await sleep(50 * attempt);
    }
  }

  async function insert(crm: SoakCrm) {
    const k = ++n;
    const row = {
      name: `New ${k}`,
      phone: `0857 ${crm.digit}${String(k).padStart(3, '0').slice(-3)} ${String(k).padStart(4, '0').slice(-4)}`,
      email: `new${k}@crm${crm.digit}.soak.example`,
      company: `New Co ${k}`,
      tags: 'lead',
      tier: 'bronze',
    };
    const [id] = await crm.table.insert([row]);
    if (!id) return;
    const prepared = prepareRecord(
      { id, data: crm.table.data({ id, ...row } as CrmRow) },
      crm.connection,
      'ID',
    );
    if (prepared.kind === 'ready')
      opts.initial.set(`${crm.connection.name}:${id}`, toValues(prepared.contact));
    crm.inserted.push(id);
  }

  /** Takes a record out of the editor's hands for good, before its removal starts. */
  function remove(crm: SoakCrm, id: string): string {
    const contactId = crm.contacts.get(id) as string;
    crm.contacts.delete(id);
    removed.add(`${crm.connection.name}:${id}`);
    return contactId;
  }

  /** Draws the next edit; whatever it decides later (a tag, a pause) comes from its own dice, drawn now. */
  function next() {
    const crm = pick(random, opts.crms);
    const linked = [...crm.contacts.keys()];
    const drawnKind = weighted(random);
    const kind = forced.get(++drawn) ?? drawnKind;
    const field = pick(random, BOTH);
    const id = pick(random, kind.startsWith('crm') ? [...linked, ...crm.inserted] : linked);
    // Removals take linked records only, and leave a few for the agents.
    const removal = REMOVALS.includes(kind);
    if (removal && linked.length < 10) return;
    const dice = seededRandom(Math.floor(random() * 2 ** 31));
    switch (kind) {
      case 'crm':
        return launch('CRM edit', () => crmEdit(crm, id, field, dice));
      case 'agent':
        return launch('agent edit', () => agentEdit(crm, id, field, dice));
      case 'pair': {
        const [first, second]: [Side, Side] = random() < 0.5 ? ['crm', 'sahut'] : ['sahut', 'crm'];
        const gap = Math.floor(random() * 1000);
        const later = seededRandom(Math.floor(random() * 2 ** 31));
        const edit = (side: Side, d: Random) =>
          side === 'crm' ? crmEdit(crm, id, field, d) : agentEdit(crm, id, field, d);
        launch('pair, first', () => edit(first, dice));
        return launch('pair, second', () => sleep(gap).then(() => edit(second, later)));
      }
      case 'crm-name':
        return launch('CRM name', () => crmEdit(crm, id, 'name', dice));
      case 'crm-tier':
        return launch('CRM tier', () => crmEdit(crm, id, 'custom_attributes.customer_tier', dice));
      case 'agent-name':
        return launch('agent name', () => agentEdit(crm, id, 'name', dice));
      case 'agent-tier':
        return launch('agent tier', () => agentEdit(crm, id, 'custom_attributes.customer_tier', dice));
      case 'insert':
        return launch('CRM insert', () => insert(crm));
      case 'delete-soft':
      case 'delete-hard':
      case 'recreate':
      case 'sahut-delete':
      case 'sahut-merge': {
        const contactId = remove(crm, id);
        // HubSpot has no soft delete: there, that share of removals is a merge of two contacts.
        if (kind === 'delete-soft' && crm.table.merge) {
          const other = pick(random, [...crm.contacts.keys()]);
          const absorbed = { id: other, contactId: remove(crm, other) };
          return launch('HubSpot merge', () => removals.crmMerge(crm, id, contactId, absorbed));
        }
        if (!kind.startsWith('sahut-'))
          return launch(`CRM ${kind}`, () => removals.crmDelete(crm, id, contactId, kind, dice));
        const survivor = kind === 'sahut-merge' ? pick(random, [...crm.contacts.keys()]) : undefined;
        const into = survivor ? { id: survivor, contactId: remove(crm, survivor) } : undefined;
        return launch(`Sahut ${kind}`, () => removals.sahutDelete(crm, id, contactId, into));
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      // Poisson arrivals at `rate` a second; at most 16 edits out at once on a slow machine.
      await sleep(Math.round((-Math.log(1 - random()) * 1000) / opts.rate));
      if (!stopped && inFlight.size < 16) next();
    }
  })();

  return {
    edits,
    deletions,
    errors,
    /** Stops starting edits and waits for those under way. */
    async stop() {
      stopped = true;
      await loop;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

type Kind = (typeof KINDS)[number][0];
const REMOVALS: Kind[] = ['delete-soft', 'delete-hard', 'recreate', 'sahut-delete', 'sahut-merge'];

function weighted(random: Random): Kind {
  let r = random();
  for (const [kind, weight] of KINDS) {
    r -= weight;
    if (r < 0) return kind;
  }
  return 'crm';
}

function tagChange(random: Random, now: readonly string[]): { op: 'add' | 'remove'; tag: string } {
  const absent = TAGS.filter((t) => !now.includes(t));
  if (now.length > 0 && (absent.length === 0 || random() < 0.4))
    return { op: 'remove', tag: pick(random, now) };
  return { op: 'add', tag: pick(random, absent) };
}

const splitTags = (raw: string | null) =>
  (raw ?? '')
    .split(';')
    .map((t) => t.trim())
    .filter(Boolean);

function column(field: ScalarField): keyof CrmRow {
  return field === 'custom_attributes.customer_tier' ? 'tier' : field;
}

/** A value only this edit writes, in the form a CRM user types it. */
function crmValue(field: ScalarField, k: number, digit: number): string {
  const tail = String(k).padStart(7, '0').slice(-7);
  switch (field) {
    case 'phone':
      return `0857-${digit}${tail.slice(0, 3)}-${tail.slice(3)}`;
    case 'email':
      return `Edit${k}@Crm${digit}.Soak.Example`;
    case 'company':
      return ` Co ${k} `;
    case 'name':
      return `Name ${k}`;
    default:
      return `crm-tier-${k}`;
  }
}

/** A value only this edit writes, as an agent types it in Sahut. */
function agentValue(field: ScalarField, k: number, digit: number): string {
  switch (field) {
    case 'phone':
      return `+62878${digit}${String(k).padStart(7, '0').slice(-7)}`;
    case 'email':
      return `agent${k}@sahut${digit}.soak.example`;
    case 'company':
      return `Agent Co ${k}`;
    case 'name':
      return `Agent Name ${k}`;
    default:
      return `tier-${k}`;
  }
}

/** The value of `field` the CRM row now holds, as the sync compares it. */
function valuesOf(crm: SoakCrm, row: CrmRow, field: ScalarField): string | null | undefined {
  const p = prepareRecord({ id: row.id, data: crm.table.data(row) }, crm.connection, 'ID');
  return p.kind === 'ready' ? toValues(p.contact)[field] : undefined;
}

/** A contact (normalised) as the flat values the verdict compares. */
export function toValues(contact: Contact): Values {
  return {
    name: contact.name ?? null,
    phone: contact.phone ?? null,
    email: contact.email ?? null,
    company: contact.company ?? null,
    tags: contact.tags ?? [],
    'custom_attributes.customer_tier':
      (contact.custom_attributes?.customer_tier as string | undefined) ?? null,
  };
}

/** A Sahut contact as the flat values the verdict compares, normalised like its CRM record. */
export function sahutValues(contact: Parameters<typeof projectSahut>[0], shape: Contact): Values {
  return toValues(projectSahut(contact, shape, 'ID'));
}
