/** Documented exit codes (sysexits-style), so cron and orchestrators can tell failures apart. */
export const EXIT = {
  ok: 0,
  /** The run finished, but some records failed, were ambiguous or were rejected. */
  recordsFailed: 1,
  usage: 64,
  /** Redis, the store or Sahut cannot be reached. */
  unavailable: 69,
  software: 70,
  /** A bad or missing setting. */
  config: 78,
} as const;
