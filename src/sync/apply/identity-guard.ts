import type { Contact } from '../../domain/index.ts';
import type { Link, Store } from '../../store/types.ts';
import type { MergeResult } from '../merge.ts';

/** A phone or email that was not written to the CRM because another linked record holds it. */
export interface HeldBack {
  field: 'phone' | 'email';
  value: string;
  /** The CRM record (and its Sahut contact) that holds the identity. */
  heldBy: { crmId: string; sahutId: string };
  note: string;
}

/**
 * Two CRM records sharing a phone or email would merge into one person at the
 * next match, and the record's old identity would be gone from the CRM. So a
 * write-back that would give this record an identity another linked record of
 * the connection holds (one linked to a different contact) is dropped from the
 * CRM's writes, and the CRM's value stays the base: a later merge looks again.
 * Adjusts `merge` in place; returns what was held back, for the audit.
 */
export async function holdBackIdentities(
  store: Pick<Store, 'findLinks'>,
  connection: string,
  link: Link,
  merge: MergeResult,
  crm: Contact,
): Promise<HeldBack[]> {
  const held: HeldBack[] = [];
  for (const field of ['phone', 'email'] as const) {
    const value = merge.toCrm[field]?.after;
    if (typeof value !== 'string' || value === '') continue;
    const holders = await store.findLinks({ connection, [field]: value }, 10);
    const other = holders.find((l) => l.crmId !== link.crmId && l.sahutId !== link.sahutId);
    if (!other) continue;
    delete merge.toCrm[field];
    merge.merged[field] = crm[field] ?? null;
    held.push({
      field,
      value,
      heldBy: { crmId: other.crmId, sahutId: other.sahutId },
      note: `${field} ${value} not written to CRM record ${link.crmId}: CRM record ${other.crmId} (contact ${other.sahutId}) holds it`,
    });
  }
  return held;
}
