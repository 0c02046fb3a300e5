import type { Connection } from '../../config/connections.ts';
import type { CrmConnector } from '../../crm/index.ts';
import type { Contact } from '../../domain/index.ts';
import { crmToContact } from '../../mapping/index.ts';
import type { SahutApi, SahutContact } from '../../sahut/types.ts';
import type { Store } from '../../store/types.ts';
import type { Identity } from '../identity.ts';
import { normaliseEmail } from '../normalise.ts';
import { normalisePhone } from '../phone.ts';
import type { CrmWriter, IdentityLocks } from './ports.ts';
import { type CrmCandidate, type CrmMatch, identityProbe, matchCrm } from './walk-in-rules.ts';

export type CrmCreator = CrmWriter & Required<Pick<CrmConnector, 'create' | 'findByIdentity'>>;

/** The I/O a walk-in needs: Sahut, the links, the identity locks and a CRM that can create and look up. */
export interface WalkInPorts {
  /** `iterate`: who else in Sahut holds a matched CRM record's phone or email. */
  sahut: Pick<SahutApi, 'get' | 'update' | 'iterate'>;
  store: Pick<Store, 'getLinks' | 'getLinksBySahutIds' | 'upsertLink' | 'findLinks'>;
  locks: IdentityLocks;
  crm: CrmCreator;
}

export interface WalkInContext {
  connection: Connection;
  defaultRegion: string;
  signal?: AbortSignal;
}

/** A selected contact, normalised, with the key its run books it under (its outcome's `crmId`). */
export interface WalkIn {
  key: string;
  contact: SahutContact;
  /** Its managed fields, normalised. */
  fields: Contact;
  identity: Identity;
}

// More CRM rows than this sharing a phone or email is a data problem for a person, not a match.
const LOOKUP_LIMIT = 20;

/**
 * The CRM records that hold the walk-in's phone or email: rows the connector
 * finds (linked or not: a row inserted in the CRM and not synced yet counts),
 * compared field by field (a row whose other fields are invalid still holds
 * its phone), plus records whose link says they hold it (the CRM may have
 * changed since). Then `matchCrm` decides.
 */
export async function findInCrm(ports: WalkInPorts, ctx: WalkInContext, walkIn: WalkIn): Promise<CrmMatch> {
  const { connection, defaultRegion } = ctx;
  const { identity, contact } = walkIn;
  const probe = identityProbe(connection.mapping, identity, LOOKUP_LIMIT);
  if (!probe) return { kind: 'none' };
  const rows = await ports.crm.findByIdentity(probe);
  const rowLinks = await ports.store.getLinks(
    connection.name,
    rows.map((r) => r.id),
  );
  const lookups = [identity.phone && { phone: identity.phone }, identity.email && { email: identity.email }];
  const linked = (await Promise.all(lookups.map((l) => (l ? ports.store.findLinks(l, 50) : [])))).flat();
  const candidates: CrmCandidate[] = [
    ...rows.map((r) => {
      const mapped = crmToContact(connection.mapping, r.data);
      return {
        crmId: r.id,
        phone: normalisePhone(mapped.phone, defaultRegion),
        email: normaliseEmail(mapped.email),
        linkedTo: rowLinks.get(r.id)?.sahutId ?? null,
      };
    }),
    ...linked
      .filter((l) => l.connection === connection.name)
      .map((l) => ({ crmId: l.crmId, phone: l.phone, email: l.email, linkedTo: l.sahutId })),
  ];
  return matchCrm(identity, candidates, { sahutId: contact.id, truncated: rows.length >= LOOKUP_LIMIT });
}
