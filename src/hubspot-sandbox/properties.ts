import { CALCULATED_PROPERTIES } from './phone.ts';

/** Properties every account has (a subset of HubSpot's contact properties), plus the account's custom ones. */
export const BUILT_IN_PROPERTIES = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'mobilephone',
  'company',
  'jobtitle',
  'city',
  'country',
  'lifecyclestage',
  'hs_additional_emails',
  'hubspot_owner_id',
] as const;
export const READ_ONLY: ReadonlySet<string> = new Set([
  'hs_object_id',
  'createdate',
  'lastmodifieddate',
  'hs_merged_object_ids',
  ...CALCULATED_PROPERTIES,
]);
/** What a read without `properties` returns. */
export const DEFAULT_PROPERTIES = [
  'createdate',
  'email',
  'firstname',
  'lastname',
  'lastmodifieddate',
  'hs_object_id',
];
