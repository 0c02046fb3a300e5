export { withAttentionAlerts } from './alerts.ts';
export {
  type ActionJob,
  type ActionResult,
  type ActionStatus,
  actionJobSchema,
  actionStatus,
  enqueueAction,
} from './job.ts';
export { createActionProcessor } from './processor.ts';
export { waitForAction } from './wait.ts';
