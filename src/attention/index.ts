/**
 * The attention listing's vocabulary, shared by the dashboard, the API, the
 * CLI and the worker: which actions each kind allows, how an action is asked
 * for and checked, who asked, and how each kind's detail reads.
 */
export {
  ACTIONS_BY_KIND,
  type ActionProblem,
  type ActionRequest,
  type Actor,
  actionProblem,
  actionRequestSchema,
  actorSchema,
  describeAction,
} from './actions.ts';
export {
  type Ambiguity,
  ambiguityOf,
  type Conflict,
  conflictsOf,
  heldBackOf,
  offendingValue,
  pairOf,
} from './detail.ts';
export { cliActor, dashboardActor, summaryOf } from './present.ts';
