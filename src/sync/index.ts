export { type Prepared, prepareRecord } from './apply/prepare.ts';
export { sameTags, sameValue } from './compare.ts';
export { canonicalJson, contactHash } from './hash.ts';
export { type Identity, identityKeys, lockKeys } from './identity.ts';
export {
  type ExactMatches,
  exactMatches,
  type MatchOptions,
  type MatchResult,
  matchContact,
} from './match.ts';
export { type MergeConflict, type MergeInput, type MergeResult, mergeContact, mergeTags } from './merge.ts';
export {
  cleanAttributes,
  cleanTags,
  cleanText,
  type InvalidPolicy,
  type NormaliseOptions,
  type NormaliseResult,
  normaliseContact,
  normaliseEmail,
} from './normalise.ts';
export { type FieldOwner, type Owners, ownerFor } from './owners.ts';
export { normalisePhone, type ParsedPhone, parsePhone } from './phone.ts';
export {
  applyPatch,
  type CreatePlan,
  type PlanUpdateOptions,
  planCreate,
  planUpdate,
  type UpdatePlan,
} from './plan.ts';
export { projectSahut } from './project.ts';
