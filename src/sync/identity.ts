import type { Contact } from '../domain/index.ts';

/** The keys a record is deduplicated on, already normalised (E.164 phone, lower-case email). */
export interface Identity {
  phone: string | null;
  email: string | null;
}

/** Identity of a normalised contact. */
export function identityKeys(contact: Pick<Contact, 'phone' | 'email'>): Identity {
  return { phone: contact.phone ?? null, email: contact.email ?? null };
}

/**
 * Lock names for one identity within `scope` (the connection), sorted so that
 * every worker takes several locks in the same order and cannot deadlock.
 */
export function lockKeys(scope: string, contact: Pick<Contact, 'phone' | 'email'>): string[] {
  const { phone, email } = identityKeys(contact);
  const keys: string[] = [];
  if (phone) keys.push(`${scope}:phone:${phone}`);
  if (email) keys.push(`${scope}:email:${email}`);
  return keys.sort();
}
