import type { Edit } from './edits.ts';
import type { Fate } from './fate.ts';

/** One identity holder at the end: a CRM row (`<connection>:<id>`) or a Sahut contact (its id). */
export interface Holder {
  id: string;
  phone: string | null;
  email: string | null;
}

/**
 * People held twice: contacts sharing a phone or email, CRM rows doing so, contacts no link
 * names and CRM rows no link names (each extra holder counts once), with examples.
 */
export function duplicates(opts: {
  rows: readonly Holder[];
  contacts: readonly Holder[];
  /** CRM row → contact id. */
  links: ReadonlyMap<string, string>;
}): { count: number; examples: string[] } {
  const examples: string[] = [];
  let count = 0;
  for (const [what, holders] of [
    ['contacts', opts.contacts],
    ['CRM rows', opts.rows],
  ] as const) {
    for (const key of ['phone', 'email'] as const) {
      const by = new Map<string, string[]>();
      for (const h of holders) if (h[key]) by.set(h[key], [...(by.get(h[key]) ?? []), h.id]);
      for (const [value, ids] of by)
        if (ids.length > 1) {
          count += ids.length - 1;
          examples.push(`${what} ${ids.join(', ')} share the ${key} ${value}`);
        }
    }
  }
  const linked = new Set(opts.links.values());
  for (const c of opts.contacts.filter((c) => !linked.has(c.id))) {
    count++;
    examples.push(`contact ${c.id} (${c.phone}, ${c.email}) has no CRM row`);
  }
  for (const r of opts.rows.filter((r) => !opts.links.has(r.id))) {
    count++;
    examples.push(`CRM row ${r.id} (${r.phone}, ${r.email}) has no contact`);
  }
  return { count, examples };
}

/** A value reaching one side: a sync PUT's field (Sahut) or a write-back's field (CRM). */
export interface Arrival {
  record: string;
  field: string;
  at: number;
  value: unknown;
}

/**
 * From each surviving edit to the first write carrying it to the other side, in ms, each way
 * (an edit already there when its write came, e.g. carried by an earlier write, is left out).
 */
export function lags(
  edits: readonly Edit[],
  fates: ReadonlyMap<number, Fate>,
  toSahut: readonly Arrival[],
  toCrm: readonly Arrival[],
): { crmToSahut: number[]; sahutToCrm: number[] } {
  const index = (arrivals: readonly Arrival[]) => {
    const by = new Map<string, Arrival[]>();
    for (const a of arrivals)
      by.set(`${a.record} ${a.field}`, [...(by.get(`${a.record} ${a.field}`) ?? []), a]);
    return by;
  };
  const [sahut, crm] = [index(toSahut), index(toCrm)];
  const out = { crmToSahut: [] as number[], sahutToCrm: [] as number[] };
  for (const e of edits) {
    if (fates.get(e.seq) !== 'survived') continue;
    const arrivals = (e.side === 'crm' ? sahut : crm).get(`${e.record} ${e.field}`) ?? [];
    const hit = arrivals.find((a) => a.at >= e.at && carries(a.value, e));
    if (hit) (e.side === 'crm' ? out.crmToSahut : out.sahutToCrm).push(hit.at - e.at);
  }
  return out;
}

function carries(value: unknown, e: Edit): boolean {
  if (e.field !== 'tags') return value === e.value;
  return Array.isArray(value) && value.includes(e.value) === (e.op === 'add');
}

/** The p-th percentile (0–100) by nearest rank; `null` for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
