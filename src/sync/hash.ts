import { createHash } from 'node:crypto';
import type { Contact } from '../domain/index.ts';

/**
 * JSON with object keys sorted at every level and `undefined` members left out,
 * so equal values give equal text whatever order their keys were built in.
 * Array order is kept: it is data (tags are sent in their order).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * sha256 (hex) of a normalised contact. An absent key and a `null` one hash
 * differently: "not managed" and "managed and empty" are different states.
 */
export function contactHash(contact: Contact): string {
  return createHash('sha256').update(canonicalJson(contact)).digest('hex');
}
