export { createSahutClient, type SahutClient } from './client.ts';
export * from './errors.ts';
export { CLIENT_DEFAULTS, type SahutClientOptions } from './options.ts';
export {
  type CallKind,
  createTokenBucket,
  type TokenBucket,
  type TokenBucketOptions,
} from './rate-limiter.ts';
export {
  backoffMs,
  classifyFailure,
  type Failure,
  type FailureContext,
  type FailureDecision,
  type GiveUp,
  parseRetryAfter,
  type RetryPolicy,
} from './retry-policy.ts';
export { contactSchema as sahutContactSchema } from './schemas.ts';
export type * from './types.ts';
