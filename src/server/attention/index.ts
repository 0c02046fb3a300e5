export type { AttentionDeps } from './deps.ts';
export { crmDailyLimits, type RunAttention, type SyncHealth, syncHealth } from './health.ts';
export { submitAction } from './submit.ts';
