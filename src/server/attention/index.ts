export type { AttentionDeps } from './deps.ts';
export { type FullPass, fullPass } from './full-pass.ts';
export {
  crmDailyLimits,
  REMOVAL_ACTIONS,
  type RunAttention,
  type RunRemovals,
  type SyncHealth,
  syncHealth,
} from './health.ts';
export { submitAction } from './submit.ts';
