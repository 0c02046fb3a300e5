import { Cluster, Command } from 'ioredis';
import type { RedisClient } from '../../redis/index.ts';
import type { Store } from '../../store/index.ts';
import { withTimeout } from './timeout.ts';

export const REDIS_TIMEOUT_MS = 1_000;
export const STORE_TIMEOUT_MS = 2_000;

export type Check = () => Promise<string>;

/**
 * Redis answers. While the client is between reconnect attempts no command is
 * sent (it would only wait in the offline queue); the last connection error
 * says why instead. On Cluster a PING goes to any node, which says nothing of
 * the one primary the deployment uses (every key of `prefix` is in one slot):
 * a read of a key of the prefix goes there, and fails while that slot has no
 * reachable primary (its primary died and no replica took over yet).
 */
export function redisCheck(redis: RedisClient, prefix: string): { check: Check; detach(): void } {
  let lastError: string | undefined;
  const onError = (err: Error) => {
    lastError = err.message;
  };
  const onReady = () => {
    lastError = undefined;
  };
  redis.on('error', onError);
  redis.on('ready', onReady);
  const probe = redis instanceof Cluster ? slotProbe(redis, prefix) : undefined;
  const check: Check = async () => {
    const status = redis.status;
    const down =
      status === 'reconnecting' || status === 'close' || status === 'end'
        ? (lastError ?? `connection ${status}`)
        : undefined;
    if (probe) return probe(down);
    if (down !== undefined) return `unreachable: ${down}`;
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

/**
 * Reads a key of `prefix` (EXISTS): it goes to the primary of the prefix's
 * slot. Not ready names the slot: given `down` (the connection is between
 * reconnects), or when the read fails.
 */
function slotProbe(cluster: Cluster, prefix: string): (down: string | undefined) => Promise<string> {
  const key = `${prefix}:readyz`;
  const slot = new Command('exists', [key]).getSlot() ?? 0;
  const unreachable = (why: string) => {
    // The slot table is the last the cluster told us: the primary it names may be the one that is gone.
    const primary = cluster.slots[slot]?.[0];
    const serving = primary ? `its primary was ${primary}` : 'no primary serves it';
    return `unreachable: slot ${slot} (every key of ${prefix}) has no reachable primary (${serving}): ${why}`;
  };
  return async (down) => {
    if (down !== undefined) return unreachable(down);
    try {
      await withTimeout(cluster.exists(key), REDIS_TIMEOUT_MS);
      return 'ok';
    } catch (err) {
      return unreachable(messageOf(err));
    }
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
