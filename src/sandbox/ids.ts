import { randomBytes } from 'node:crypto';

// Crockford base32: no I, L, O, U, so ids survive being read aloud or retyped.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_LENGTH = 14;

export const CONTACT_ID_PATTERN = /^ct_[0-9A-HJKMNP-TV-Z]{14}$/;

/** A fresh `ct_` + 14 Crockford characters (70 random bits); the store retries on the rare collision. */
export function newContactId(): string {
  const bytes = randomBytes(ID_LENGTH);
  let id = 'ct_';
  // Each byte contributes its low 5 bits, so every character is uniform over the alphabet.
  for (const byte of bytes) id += CROCKFORD[byte & 31];
  return id;
}

/** ISO-8601 UTC to the second, the shape Sahut documents: `2024-01-10T10:00:00Z`. */
export function isoSeconds(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
