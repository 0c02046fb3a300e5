import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/index.ts';
import type { IdentityClaims } from '../sync/apply/ports.ts';

/** Another worker is creating a contact for this person right now: the record is tried again later. */
export class IdentityBusyError extends Error {
  readonly code = 'IDENTITY_BUSY';
}

/**
 * Claims in the store on the identity a contact is being created for. The
 * Redis identity lock already serialises the workers; the claim is what still
 * does when Redis (and its locks) is lost mid-run. It outlives a crashed
 * holder by four job locks, and is renewed while its holder works.
 *
 * A busy claim is waited for, not failed at once: a worker killed mid-create
 * leaves its claim for up to its time to live, longer than its Redis lock, and
 * the records it held must not spend their attempts on a dead holder.
 */
export function createClaims(
  store: Pick<Store, 'claimIdentities' | 'renewIdentities' | 'releaseIdentities'>,
  { connection, lockMs }: { connection: string; lockMs: number },
): IdentityClaims {
  const ttlMs = 4 * lockMs;
  // A dead holder's claim lapses within ttlMs of its last renewal.
  const waitMs = ttlMs + lockMs;
  return {
    async withClaim(wanted, fn, signal) {
      // Hashed, like the Redis lock keys: no phone or email as a key.
      const keys = wanted.keys.map((k) => createHash('sha1').update(k).digest('hex'));
      const claim = { ...wanted, connection, keys, token: randomUUID(), ttlMs };
      const deadline = Date.now() + waitMs;
      let found = await store.claimIdentities(claim);
      for (let delay = 20; !found.claimed; delay = Math.min(delay * 2, 500)) {
        if (Date.now() > deadline)
          throw new IdentityBusyError(`another worker has been creating this contact for ${waitMs} ms`);
        await sleep(delay, undefined, { signal });
        found = await store.claimIdentities(claim);
      }
      const renew = setInterval(() => {
        store.renewIdentities(claim).catch(() => {});
      }, ttlMs / 3);
      try {
        return await fn({ links: found.links, stale: found.stale });
      } finally {
        clearInterval(renew);
        // Failing that, the claim lapses after its time to live.
        await store.releaseIdentities(claim).catch(() => {});
      }
    },
  };
}
