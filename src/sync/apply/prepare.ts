import type { Connection } from '../../config/connections.ts';
import type { CrmRecord } from '../../crm/types.ts';
import type { Contact } from '../../domain/index.ts';
import { crmToContact } from '../../mapping/index.ts';
import { contactHash } from '../hash.ts';
import { normaliseContact } from '../normalise.ts';

export type Prepared =
  | { kind: 'rejected'; crmId: string; reason: string }
  | { kind: 'ready'; crmId: string; contact: Contact; hash: string; record: CrmRecord };

/** Map and normalise one CRM record; pure, so the run job can triage records without I/O. */
export function prepareRecord(record: CrmRecord, connection: Connection, defaultRegion: string): Prepared {
  const mapped = crmToContact(connection.mapping, record.data);
  const normalised = normaliseContact(mapped, {
    defaultRegion,
    invalidPhone: connection.options.invalidPhone,
    invalidEmail: connection.options.invalidEmail,
  });
  if (!normalised.ok) return { kind: 'rejected', crmId: record.id, reason: normalised.reason };
  return {
    kind: 'ready',
    crmId: record.id,
    contact: normalised.contact,
    hash: contactHash(normalised.contact),
    // What a write-back compares the CRM with: the record as read, raw.
    record,
  };
}
