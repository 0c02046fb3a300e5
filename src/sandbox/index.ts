export { ADMIN_PATH } from './admin-routes.ts';
export type { SeedContact } from './contact-store.ts';
export type { RequestOutcome } from './counters.ts';
export { type FaultAction, type FaultConfig, type FaultRule, faultConfigSchema } from './faults.ts';
export { CONTACT_ID_PATTERN } from './ids.ts';
export {
  BASE_PATH,
  buildSandbox,
  type ListenOptions,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from './sandbox.ts';
export { seeded } from './seeded.ts';
export type { StoredContact } from './validation.ts';
