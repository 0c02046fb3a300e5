import { assertDisjoint } from '../claim-batch.ts';
import { LINK_COLUMNS } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Claim, ClaimBatch, ClaimResult } from '../types.ts';
import { type SqliteDatabase, toSqlTime } from './database.ts';

/**
 * Takes every key of `claim` or none (one whose holder died and let it expire
 * is taken over, and said so: that holder may have created the contact), and
 * returns the links that already hold its phone or email or its CRM record: in
 * one transaction, so what the caller sees cannot change under its claim.
 */
export function claimIdentities(db: SqliteDatabase, claim: Claim): ClaimResult {
  const now = new Date();
  const take = db.statement(
    `insert into identity_claims (connection, key, token, expires_at) values (:connection, :key, :token, :expires)
     on conflict (connection, key) do update set token = excluded.token, expires_at = excluded.expires_at
       where identity_claims.expires_at < :now or identity_claims.token = excluded.token`,
  );
  const held = db.statement('select 1 from identity_claims where connection = :connection and key = :key');
  const links = db.statement(
    `select ${LINK_COLUMNS} from links
     where connection = :connection and (crm_id = :crmId or phone = :phone or email = :email)
     order by crm_id limit 10`,
  );
  try {
    return db.transaction(() => {
      let stale = false;
      for (const key of claim.keys) {
        stale ||= held.get({ connection: claim.connection, key }) !== undefined;
        const { changes } = take.run({
          connection: claim.connection,
          key,
          token: claim.token,
          expires: toSqlTime(new Date(now.getTime() + claim.ttlMs)),
          now: toSqlTime(now),
        });
        // Some key is held by a live claim: the transaction rolls back the keys taken.
        if (Number(changes) === 0) throw new ClaimBusy();
      }
      const found = links.all({
        connection: claim.connection,
        crmId: claim.crmId,
        phone: claim.phone,
        email: claim.email,
      });
      return { claimed: true, stale, links: found.map((row) => linkRowSchema.parse(row)) };
    });
  } catch (err) {
    if (err instanceof ClaimBusy) return { claimed: false, stale: false, links: [] };
    throw err;
  }
}

/** Each claim in its own transaction: in-process, SQLite has no round trips to save. */
export function claimIdentitiesBatch(db: SqliteDatabase, batch: ClaimBatch): ClaimResult[] {
  assertDisjoint(batch);
  const { connection, token, ttlMs } = batch;
  return batch.claims.map((claim) => claimIdentities(db, { ...claim, connection, token, ttlMs }));
}

export function renewIdentities(
  db: SqliteDatabase,
  claim: Pick<Claim, 'connection' | 'keys' | 'token' | 'ttlMs'>,
) {
  const update = db.statement(
    'update identity_claims set expires_at = :expires where connection = :connection and key = :key and token = :token',
  );
  const expires = toSqlTime(new Date(Date.now() + claim.ttlMs));
  for (const key of claim.keys)
    update.run({ connection: claim.connection, key, token: claim.token, expires });
}

export function releaseIdentities(db: SqliteDatabase, claim: Pick<Claim, 'connection' | 'keys' | 'token'>) {
  const remove = db.statement(
    'delete from identity_claims where connection = :connection and key = :key and token = :token',
  );
  for (const key of claim.keys) remove.run({ connection: claim.connection, key, token: claim.token });
}

class ClaimBusy extends Error {}
