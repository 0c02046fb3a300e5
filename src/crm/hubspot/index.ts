export { createHubspotConnector, type HubspotConnector, type HubspotConnectorOptions } from './connector.ts';
export { HubspotApiError } from './http.ts';
export type { DailyLimitSeen, Limiter, WindowLimit } from './limits.ts';
export type { CrmRemoval } from './removals.ts';
export { verifyHubspotSignature } from './signature.ts';
