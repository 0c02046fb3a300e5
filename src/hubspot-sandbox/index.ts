export type { Contact, ContactEvent, SeedInput } from './contacts.ts';
export { POLICY_MESSAGES, type PolicyName } from './errors.ts';
export type { FaultSettings } from './faults.ts';
export { READ_SCOPE, SCHEMA_SCOPE, WRITE_SCOPE } from './guards.ts';
export { type Arrivals, DEFAULT_LIMITS, type LimitCounters, type LimitSettings } from './limits.ts';
export { buildHubspotSandbox, CONTACTS, type HubspotSandbox, type HubspotSandboxOptions } from './sandbox.ts';
export { SEARCH_LIMITS } from './search.ts';
export { type DeliveryStats, signV3, type WebhookSettings } from './webhooks.ts';
