/**
 * The shared vocabulary: the contact model and the sync directions. It sits
 * below every other folder (the API client, the store, the mapping and the
 * sync engine all speak it), so none of them depends on another for it.
 */
export {
  type AttrValue,
  attrValueSchema,
  CONTACT_FIELDS,
  type Contact,
  type ContactField,
  contactSchema,
  DIRECTIONS,
  type Direction,
  type FieldDiff,
} from './contact.ts';
