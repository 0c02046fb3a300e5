import { setTimeout as sleep } from 'node:timers/promises';

// Serialization failure, deadlock, the server shutting the session down
// (pg_terminate_backend, restart) and the connection exception class: the same
// statement is likely to pass a moment later on a fresh connection.
const TRANSIENT_CODES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const ATTEMPTS = 6;
const FIRST_DELAY_MS = 50;

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (TRANSIENT_CODES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))
  )
    return true;
  // node-postgres reports a socket that died mid-query without a code.
  return /Connection terminated|timeout exceeded when trying to connect|encountered a connection error/.test(
    err.message,
  );
}

/**
 * Retries `fn` on transient database errors with bounded exponential backoff
 * (about 1.5 s in all), then lets the error through. A statement cut off by a
 * dropped connection either committed or rolled back as a whole; the one case
 * it cannot tell (committed, then the reply was lost) is no worse than the
 * crash it stands for.
 */
export async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isTransient(err)) throw err;
      const delay = FIRST_DELAY_MS * 2 ** (attempt - 1);
      await sleep(delay * (0.5 + Math.random() / 2));
    }
  }
}
