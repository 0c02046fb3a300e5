import { randomUUID } from 'node:crypto';

/** HubSpot's error body: `{status, message, correlationId, category, …}` (every field optional to a client). */
export function hubspotError(category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export const POLICY_MESSAGES = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
} as const;
export type PolicyName = keyof typeof POLICY_MESSAGES;

/** The 429 body HubSpot sends, with the policy name its official client matches on. */
export function rateLimitBody(policyName: PolicyName) {
  return {
    status: 'error',
    message: POLICY_MESSAGES[policyName],
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName,
    requestId: randomUUID(),
  };
}

export const notFoundBody = (id: string) =>
  hubspotError('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', {
    context: { id: [id] },
  });

export const validationError = (message: string) => hubspotError('VALIDATION_ERROR', message);
