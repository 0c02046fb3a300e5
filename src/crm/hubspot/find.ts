import { checkedProbe } from '../find-probe.ts';
import type { CrmRecord, IdentityProbe } from '../types.ts';
import type { HubspotHttp } from './http.ts';
import { CONTACTS } from './paths.ts';
import { BATCH_READ_MAX, recordOf } from './read.ts';
import { batchResponseSchema, type PublicObject, searchResponseSchema } from './schemas.ts';

/**
 * HubSpot keeps the national number of `phone` and `mobilephone` (no country code, however the
 * value was typed) in these read-only properties, and searches them exactly.
 */
const SEARCHABLE_PHONE: Record<string, string> = {
  phone: 'hs_searchable_calculated_phone_number',
  mobilephone: 'hs_searchable_calculated_mobile_number',
};
const MAX_GROUPS = 5;

type Group = { filters: { propertyName: string; operator: string; value: string }[] };

/**
 * Contacts that may hold the probe's phone or email. The email is read live by `idProperty=email`
 * (search lags writes: a contact created a moment ago is found all the same), and searched in
 * `email` and `hs_additional_emails`; the phone is searched in HubSpot's normalised phone
 * properties, and as its digits in any other mapped phone property.
 */
export async function findContacts(
  http: HubspotHttp,
  columns: readonly string[],
  probe: IdentityProbe,
): Promise<CrmRecord[]> {
  const { phone, email, limit } = checkedProbe(probe, columns, 'hubspot contacts');
  const groups: Group[] = [];
  const eq = (propertyName: string, value: string) => ({
    filters: [{ propertyName, operator: 'EQ', value }],
  });
  if (email) {
    groups.push(eq(email.column, email.address));
    groups.push({
      filters: [{ propertyName: 'hs_additional_emails', operator: 'CONTAINS_TOKEN', value: email.address }],
    });
  }
  for (const column of phone?.columns ?? [])
    groups.push(eq(SEARCHABLE_PHONE[column] ?? column, phone?.digits ?? ''));
  const found = new Map<string, PublicObject>();
  const readLive = async (idProperty: string | undefined, ids: readonly string[]) => {
    const live = await http.call({
      method: 'POST',
      path: `${CONTACTS}/batch/read?archived=false`,
      body: {
        ...(idProperty ? { idProperty } : {}),
        inputs: ids.map((id) => ({ id })),
        properties: [...columns],
      },
      schema: batchResponseSchema,
    });
    for (const o of live.results) found.set(o.id, o);
  };
  // Only `email` (or a unique property) can be an idProperty.
  if (email && email.column === 'email') await readLive(email.column, [email.address]);
  // Search finds; its copy of a contact lags writes, so those it finds are read live.
  const searched = new Set<string>();
  for (let i = 0; i < groups.length; i += MAX_GROUPS) {
    const res = await http.call({
      method: 'POST',
      path: `${CONTACTS}/search`,
      body: {
        filterGroups: groups.slice(i, i + MAX_GROUPS),
        properties: ['hs_object_id'],
        limit: Math.min(limit, 200),
      },
      schema: searchResponseSchema,
    });
    for (const o of res.results) if (!found.has(o.id)) searched.add(o.id);
  }
  const ids = [...searched];
  for (let i = 0; i < ids.length; i += BATCH_READ_MAX)
    await readLive(undefined, ids.slice(i, i + BATCH_READ_MAX));
  return [...found.values()].slice(0, limit).map((o) => recordOf(columns, o));
}
