import { CrmError } from './errors.ts';
import type { IdentityProbe } from './types.ts';

/**
 * The probe's columns, checked against the columns the connector reads
 * (`null`: a source without a column list): a lookup may only touch mapped
 * columns, like write-back. Empty needles match nothing rather than everything.
 */
export function checkedProbe(probe: IdentityProbe, readable: readonly string[] | null, label: string) {
  const known = new Set(readable);
  const columns = [...(probe.phone?.columns ?? []), ...(probe.email ? [probe.email.column] : [])];
  const unknown = readable === null ? undefined : columns.find((c) => !known.has(c));
  if (unknown !== undefined) {
    throw new CrmError(
      'SOURCE_INVALID',
      `Column "${unknown}" of ${label} is not mapped: an identity lookup may only read mapped columns`,
    );
  }
  const phone =
    probe.phone && probe.phone.digits !== '' && probe.phone.columns.length > 0 ? probe.phone : null;
  const email = probe.email && probe.email.address !== '' ? probe.email : null;
  const limit = Math.max(1, Math.trunc(probe.limit));
  return { phone, email, limit };
}

/** Digits of a value as a lookup compares them (the memory connector; SQL connectors do it in SQL). */
export const digitsOf = (values: readonly unknown[]) =>
  values
    .map((v) => (v == null ? '' : String(v)))
    .join('')
    .replace(/[^0-9]/g, '');
