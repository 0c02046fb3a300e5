import { LINK_COLUMNS } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Claim, ClaimResult } from '../types.ts';
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
