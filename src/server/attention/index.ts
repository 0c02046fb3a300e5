export type { AttentionDeps } from './deps.ts';
export {
  REMOVAL_ACTIONS,
  type RunAttention,
  type RunRemovals,
  type SyncHealth,
  syncHealth,
} from './health.ts';
export { submitAction } from './submit.ts';
