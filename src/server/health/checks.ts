import type { RedisClient } from '../../redis/index.ts';
import type { Store } from '../../store/index.ts';
import { withTimeout } from './timeout.ts';

export const REDIS_TIMEOUT_MS = 1_000;
export const STORE_TIMEOUT_MS = 2_000;

export type Check = () => Promise<string>;

/**
 * Redis answers PING. While the client is between reconnect attempts no
 * command is sent (it would only wait in the offline queue); the last
 * connection error says why instead.
 */
export function redisCheck(redis: RedisClient): { check: Check; detach(): void } {
  let lastError: string | undefined;
  const onError = (err: Error) => {
    lastError = err.message;
  };
  const onReady = () => {
    lastError = undefined;
  };
  redis.on('error', onError);
  redis.on('ready', onReady);
  const check: Check = async () => {
    const status = redis.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      return `unreachable: ${lastError ?? `connection ${status}`}`;
    }
    try {
      const reply = await withTimeout(redis.ping(), REDIS_TIMEOUT_MS);
      return reply === 'PONG' ? 'ok' : `unexpected reply to PING: ${reply}`;
    } catch (err) {
      return `unreachable: ${lastError ?? messageOf(err)}`;
    }
  };
  return {
    check,
    detach: () => {
      redis.off('error', onError);
      redis.off('ready', onReady);
    },
  };
}

export function storeCheck(store: Pick<Store, 'ping'>): Check {
  return async () => {
    try {
      await withTimeout(store.ping(), STORE_TIMEOUT_MS);
      return 'ok';
    } catch (err) {
      return `unavailable: ${messageOf(err)}`;
    }
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
