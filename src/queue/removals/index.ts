/** Deletions and disappearances on either side: found, guarded, acted on (docs/deletions.md). */

export { GUARD_NOTE } from '../../sync/removal.ts';
export { judgesAbsence, noteSoftDeleted } from './find.ts';
export { type GuardTrip, removalStep } from './step.ts';
