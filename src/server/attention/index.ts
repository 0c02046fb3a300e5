export type { AttentionDeps } from './deps.ts';
export { type FullPass, fullPass } from './full-pass.ts';
export { type RunAttention, type SyncHealth, syncHealth } from './health.ts';
export { submitAction } from './submit.ts';
