import type { Contact } from '../../domain/index.ts';
import type { Link } from '../../store/types.ts';
import { identityKeys } from '../identity.ts';

/**
 * A link whose hashes match neither side: where the first reconcile of a CRM
 * record and a Sahut contact starts, with `base` as what both are taken to
 * hold (the contact as Sahut holds it), so the reconcile writes what differs
 * and saves the real hashes.
 *
 * A walk-in's new CRM record is saved with one before its reconcile, so an
 * attempt that dies after the insert leaves it linked (the next attempt, or
 * either direction's next run, completes it).
 */
export function provisionalLink(connection: string, crmId: string, sahutId: string, base: Contact): Link {
  const identity = identityKeys(base);
  return {
    connection,
    crmId,
    sahutId,
    phone: identity.phone,
    email: identity.email,
    base,
    crmHash: '',
    sahutHash: '',
    syncedAt: new Date(),
  };
}

export const isProvisional = (link: Link) => link.crmHash === '' && link.sahutHash === '';
