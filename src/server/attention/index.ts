export type { AttentionDeps } from './deps.ts';
export { type SyncHealth, syncHealth } from './health.ts';
export { submitAction } from './submit.ts';
