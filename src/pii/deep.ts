import { maskAs, maskText, type PiiKind } from './text.ts';

const PHONE_KEY = /phone|mobile|msisdn|whatsapp|^(tel|hp|wa|no_hp)$/i;
const EMAIL_KEY = /e-?mail/i;
const NAME_KEY =
  /^(name|nama|full[-_]?name|first[-_]?name|last[-_]?name|display[-_]?name|given[-_]?name|family[-_]?name|contact[-_]?name)$/i;
/** Ids and cursors may be all digits (`10045678`) and must stay usable: no guessing from the value there. */
export const ID_KEY = /(^|[-_])id$|[a-z]Id$|^id$|cursor$|hash$/i;
const MAX_DEPTH = 20;

export function kindOfKey(key: string): PiiKind | undefined {
  if (PHONE_KEY.test(key)) return 'phone';
  if (EMAIL_KEY.test(key)) return 'email';
  if (NAME_KEY.test(key)) return 'name';
  return undefined;
}

/**
 * A copy of `value` (an audit row, a link, a run, a page of them) with its
 * phones, emails and names masked: by key (`phone`, `email`, `name` and their
 * usual spellings), and everything under such a key too (a field diff's
 * `{ name: { before, after } }`); free text anywhere else goes through
 * `maskText`. Ids, numbers, booleans and dates are left as they are.
 */
export function maskPii<T>(value: T): T {
  return walk(value, undefined, undefined, 0) as T;
}

function walk(value: unknown, key: string | undefined, kind: PiiKind | undefined, depth: number): unknown {
  if (depth > MAX_DEPTH) return '[REDACTED]';
  if (typeof value === 'string') {
    if (kind) return maskAs(kind, value);
    return key !== undefined && ID_KEY.test(key) ? value : maskText(value);
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, key, kind, depth + 1));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, walk(v, k, kind ?? kindOfKey(k), depth + 1)]),
  );
}
