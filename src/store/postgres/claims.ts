import { assertDisjoint } from '../claim-batch.ts';
import { LINK_COLUMNS } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Claim, ClaimBatch, ClaimResult } from '../types.ts';
import { inTransaction, type PgContext, query } from './context.ts';

/**
 * Takes every key of `claim` or none (one whose holder died and let it expire
 * is taken over, and said so: that holder may have created the contact), and
 * returns the links that already hold its phone or email or its CRM record: in
 * one transaction, so what the caller sees cannot change under its claim.
 */
export async function claimIdentities(ctx: PgContext, claim: Claim): Promise<ClaimResult> {
  const s = ctx.schema;
  return inTransaction(ctx.pool, async (client) => {
    const { rows } = await client.query(
      `insert into ${s}.identity_claims as c (connection, key, token, expires_at)
       select $1, key, $3, now() + $4 * interval '1 millisecond' from unnest($2::text[]) as k(key)
       on conflict (connection, key) do update set token = excluded.token, expires_at = excluded.expires_at
         where c.expires_at < now() or c.token = excluded.token
       returning key, (xmax <> 0) as taken_over`,
      [claim.connection, claim.keys, claim.token, claim.ttlMs],
    );
    // Some key is held by a live claim: the transaction rolls back the keys taken.
    if (rows.length < claim.keys.length) throw new ClaimBusy();
    const links = await client.query(
      `select ${LINK_COLUMNS} from ${s}.links
       where connection = $1 and (crm_id = $2 or phone = $3 or email = $4)
       order by crm_id limit 10`,
      [claim.connection, claim.crmId, claim.phone, claim.email],
    );
    const stale = rows.some((row) => (row as { taken_over: boolean }).taken_over);
    return { claimed: true, stale, links: links.rows.map((row) => linkRowSchema.parse(row)) };
  }).catch((err: unknown) => {
    if (err instanceof ClaimBusy) return { claimed: false, stale: false, links: [] };
    throw err;
  });
}

/**
 * Several records' claims in one transaction of three statements. A claim that got some of its
 * keys but not all (another took one meanwhile) cannot be undone alone without losing what the
 * others took over from dead holders, so the transaction is rolled back and tried again without
 * it: rare, since the Redis identity locks already keep workers apart.
 */
export async function claimIdentitiesBatch(ctx: PgContext, batch: ClaimBatch): Promise<ClaimResult[]> {
  assertDisjoint(batch);
  const s = ctx.schema;
  const results: ClaimResult[] = batch.claims.map(() => ({ claimed: false, stale: false, links: [] }));
  let trying = batch.claims.map((_, i) => i);
  while (trying.length > 0) {
    const partial = await inTransaction(ctx.pool, async (client): Promise<number[]> => {
      const keyOwner = new Map(
        trying.flatMap((i) => (batch.claims[i]?.keys ?? []).map((k) => [k, i] as const)),
      );
      const { rows } = await client.query(
        `insert into ${s}.identity_claims as c (connection, key, token, expires_at)
         select $1, key, $3, now() + $4 * interval '1 millisecond' from unnest($2::text[]) as k(key)
         on conflict (connection, key) do update set token = excluded.token, expires_at = excluded.expires_at
           where c.expires_at < now() or c.token = excluded.token
         returning key, (xmax <> 0) as taken_over`,
        [batch.connection, [...keyOwner.keys()], batch.token, batch.ttlMs],
      );
      const got = new Map<number, { keys: number; stale: boolean }>();
      for (const row of rows as { key: string; taken_over: boolean }[]) {
        const i = keyOwner.get(row.key) as number;
        const g = got.get(i) ?? { keys: 0, stale: false };
        got.set(i, { keys: g.keys + 1, stale: g.stale || row.taken_over });
      }
      const keysOf = (i: number) => batch.claims[i]?.keys.length ?? 0;
      const half = trying.filter((i) => (got.get(i)?.keys ?? 0) > 0 && (got.get(i)?.keys ?? 0) < keysOf(i));
      // Rolls back every key taken, stale ones included, so the next try sees them as they were.
      if (half.length > 0) throw new HalfClaimed(half);
      const claimed = trying.filter((i) => (got.get(i)?.keys ?? 0) === keysOf(i));
      const wanted = claimed.map((i) => batch.claims[i] as ClaimBatch['claims'][number]);
      const links = await client.query(
        `select c.i, l.* from unnest($2::int[], $3::text[], $4::text[], $5::text[]) as c(i, crm_id, phone, email)
         cross join lateral (
           select ${LINK_COLUMNS} from ${s}.links
           where connection = $1 and (crm_id = c.crm_id or phone = c.phone or email = c.email)
           order by crm_id limit 10
         ) as l
         order by c.i, l.crm_id`,
        [
          batch.connection,
          claimed,
          wanted.map((c) => c.crmId),
          wanted.map((c) => c.phone),
          wanted.map((c) => c.email),
        ],
      );
      for (const i of claimed) results[i] = { claimed: true, stale: got.get(i)?.stale ?? false, links: [] };
      for (const row of links.rows as { i: number }[]) results[row.i]?.links.push(linkRowSchema.parse(row));
      return [];
    }).catch((err: unknown) => {
      if (err instanceof HalfClaimed) return err.claims;
      throw err;
    });
    if (partial.length === 0) break;
    trying = trying.filter((i) => !partial.includes(i));
  }
  return results;
}

export async function renewIdentities(
  ctx: PgContext,
  claim: Pick<Claim, 'connection' | 'keys' | 'token' | 'ttlMs'>,
) {
  await query(
    ctx,
    `update ${ctx.schema}.identity_claims set expires_at = now() + $4 * interval '1 millisecond'
     where connection = $1 and key = any($2::text[]) and token = $3`,
    [claim.connection, claim.keys, claim.token, claim.ttlMs],
  );
}

export async function releaseIdentities(ctx: PgContext, claim: Pick<Claim, 'connection' | 'keys' | 'token'>) {
  await query(
    ctx,
    `delete from ${ctx.schema}.identity_claims where connection = $1 and key = any($2::text[]) and token = $3`,
    [claim.connection, claim.keys, claim.token],
  );
}

class ClaimBusy extends Error {}

class HalfClaimed extends Error {
  readonly claims: number[];
  constructor(claims: number[]) {
    super('some claims got part of their keys');
    this.claims = claims;
  }
}
