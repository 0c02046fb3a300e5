import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../store/index.ts';
import type { IdentityClaims } from '../../sync/apply/ports.ts';
import { coalesce } from './coalesce.ts';

/** Another worker is creating a contact for this person right now: the record is tried again later. */
export class IdentityBusyError extends Error {
  readonly code = 'IDENTITY_BUSY';
}

export interface BatchClaims extends IdentityClaims {
  /** Lets go of the claims these records hold (every claim when none are named). */
  release(crmIds?: readonly string[]): Promise<void>;
}

type ClaimStore = Pick<Store, 'claimIdentitiesBatch' | 'renewIdentities' | 'releaseIdentities'>;

/**
 * Claims in the store on the identity a contact is being created for, for the
 * records of one batch. The Redis identity lock already serialises the
 * workers; the claim is what still does when Redis (and its locks) is lost
 * mid-run. It outlives a crashed holder by four job locks, and is renewed while
 * its holder works.
 *
 * Claims the records ask for together are taken in one transaction, under one
 * token. A claim is kept past `withClaim` until `release`: the links its record
 * wrote are saved first (record-batch.ts), so whoever claims next reads them.
 *
 * A busy claim is waited for, not failed at once: a worker killed mid-create
 * leaves its claim for up to its time to live, longer than its Redis lock, and
 * the records it held must not spend their attempts on a dead holder. `onBusy`
 * hears of each wait.
 */
export function createClaims(
  store: ClaimStore,
  {
    connection,
    lockMs,
    token,
    onBusy,
  }: { connection: string; lockMs: number; token: string; onBusy?: () => void },
): BatchClaims {
  const ttlMs = 4 * lockMs;
  // A dead holder's claim lapses within ttlMs of its last renewal.
  const waitMs = ttlMs + lockMs;
  const take = coalesce((claims: Parameters<ClaimStore['claimIdentitiesBatch']>[0]['claims'][number][]) =>
    store.claimIdentitiesBatch({ connection, token, ttlMs, claims }),
  );
  const held = new Map<string, string[]>();
  let renew: NodeJS.Timeout | undefined;
  return {
    async withClaim(wanted, fn, signal) {
      // Hashed, like the Redis lock keys: no phone or email as a key.
      const keys = wanted.keys.map((k) => createHash('sha1').update(k).digest('hex'));
      const claim = { crmId: wanted.crmId, phone: wanted.phone, email: wanted.email, keys };
      const deadline = Date.now() + waitMs;
      let found = await take(claim);
      for (let delay = 20; !found.claimed; delay = Math.min(delay * 2, 500)) {
        onBusy?.();
        if (Date.now() > deadline)
          throw new IdentityBusyError(`another worker has been creating this contact for ${waitMs} ms`);
        await sleep(delay, undefined, { signal });
        found = await take(claim);
      }
      held.set(wanted.crmId, [...(held.get(wanted.crmId) ?? []), ...keys]);
      renew ??= setInterval(() => {
        const all = [...held.values()].flat();
        if (all.length) store.renewIdentities({ connection, keys: all, token, ttlMs }).catch(() => {});
      }, ttlMs / 3);
      return fn({ links: found.links, stale: found.stale });
    },
    async release(crmIds = [...held.keys()]) {
      const keys = crmIds.flatMap((id) => held.get(id) ?? []);
      for (const id of crmIds) held.delete(id);
      if (held.size === 0) {
        clearInterval(renew);
        renew = undefined;
      }
      // Failing that, the claims lapse after their time to live.
      if (keys.length) await store.releaseIdentities({ connection, keys, token }).catch(() => {});
    },
  };
}
