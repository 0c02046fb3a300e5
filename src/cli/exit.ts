/** Documented exit codes (sysexits-style), so cron and orchestrators can tell failures apart. */
export const EXIT = {
  ok: 0,
  /** The run finished, but some records failed, were ambiguous or were rejected. */
  recordsFailed: 1,
  /** doctor: something must be fixed (1, what a Docker health check calls unhealthy). */
  checksFailed: 1,
  usage: 64,
  /** Redis, the store or Sahut cannot be reached. */
  unavailable: 69,
  software: 70,
  /** A bad or missing setting. */
  config: 78,
} as const;

/** A command's own usage check (commander cannot express it): exit 64 like commander's usage errors. */
export class UsageError extends Error {
  readonly code = 'commander.usage';
}
