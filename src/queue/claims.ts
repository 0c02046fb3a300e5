import { createHash, randomUUID } from 'node:crypto';
import type { IdentityClaims } from '../sync/apply/ports.ts';
import type { Runtime } from './runtime.ts';

/** Another worker is creating a contact for this person right now: the record is tried again later. */
export class IdentityBusyError extends Error {
  readonly code = 'IDENTITY_BUSY';
}

/**
 * Claims in the store on the identity a contact is being created for. The
 * Redis identity lock already serialises the workers; the claim is what still
 * does when Redis (and its locks) is lost mid-run. It outlives a crashed
 * holder by four job locks, and is renewed while its holder works.
 */
export function createClaims(rt: Runtime, connection: string): IdentityClaims {
  const ttlMs = 4 * rt.config.worker.lockMs;
  return {
    async withClaim(wanted, fn) {
      // Hashed, like the Redis lock keys: no phone or email as a key.
      const keys = wanted.keys.map((k) => createHash('sha1').update(k).digest('hex'));
      const claim = { ...wanted, connection, keys, token: randomUUID(), ttlMs };
      const { claimed, links, stale } = await rt.store.claimIdentities(claim);
      if (!claimed) throw new IdentityBusyError('another worker is creating this contact right now');
      const renew = setInterval(() => {
        rt.store.renewIdentities(claim).catch(() => {});
      }, ttlMs / 3);
      try {
        return await fn({ links, stale });
      } finally {
        clearInterval(renew);
        // Failing that, the claim lapses after its time to live.
        await rt.store.releaseIdentities(claim).catch(() => {});
      }
    },
  };
}
