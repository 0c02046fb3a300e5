import { setTimeout as delay } from 'node:timers/promises';

/** Thrown by a probe: the awaited state can no longer come, stop waiting now. */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between two looks; the condition is polled, with a deadline. */
  everyMs?: number;
}

/**
 * Looks at `probe` until it returns a value other than `undefined`, and returns
 * that value. Past the deadline it throws, naming what was awaited and the last
 * state `describe` reported (or the last error the probe threw). Errors are
 * looked at again, except `GiveUp`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs, everyMs = 1000 }: WaitOptions,
  describe?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = describe?.() ?? '';
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? `: ${last}` : ''}`,
      );
    }
    await delay(everyMs);
  }
}
