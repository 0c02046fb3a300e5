import { StoreArgumentError } from './errors.ts';
import type { ClaimBatch, Link, RecordWrites } from './types.ts';

/** Two claims of one batch sharing a key would each hold it under one token: refused. */
export function assertDisjoint(batch: ClaimBatch): void {
  const seen = new Set<string>();
  for (const key of batch.claims.flatMap((c) => c.keys)) {
    if (seen.has(key)) throw new StoreArgumentError(`claimIdentitiesBatch: key ${key} is in two claims`);
    seen.add(key);
  }
}

/** The links a claim reads under it: its CRM record's, and those holding its phone or email. */
export const holdsClaim = (claim: ClaimBatch['claims'][number], link: Link) =>
  link.crmId === claim.crmId ||
  (claim.phone !== null && link.phone === claim.phone) ||
  (claim.email !== null && link.email === claim.email);

/** One row per link and per indexed contact, the last write of each winning (one statement cannot upsert a row twice). */
export function lastWrites(writes: RecordWrites) {
  const links = new Map(writes.links.map((l) => [`${l.connection}\u0000${l.crmId}`, l]));
  const indexed = new Map(writes.indexed.map((c) => [c.sahutId, c]));
  return { links: [...links.values()], indexed: [...indexed.values()] };
}
