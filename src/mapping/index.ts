export { MappingError, type MappingIssue } from './errors.ts';
export { loadMapping, type MappingFormat, parseMapping } from './parse.ts';
export { mappedFields, ownerOf, sourceColumns } from './query.ts';
export { mappingSchema } from './schema.ts';
export { crmToContact } from './to-contact.ts';
export { contactToCrm } from './to-crm.ts';
export {
  type FieldKey,
  type FieldRule,
  type Mapping,
  OWNERS,
  type Owner,
  SCALAR_FIELDS,
  type ScalarField,
  TRANSFORMS,
  type Transform,
} from './types.ts';
