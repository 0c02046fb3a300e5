/** Deletions and disappearances on either side: found, guarded, acted on (docs/deletions.md). */
export { judgesAbsence, noteSoftDeleted } from './find.ts';
export { removalStep } from './step.ts';
