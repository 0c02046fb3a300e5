import { duplicatePairRowSchema, indexedContactRowSchema, sahutScanRowSchema } from '../rows.ts';
import type { DuplicatePair, IndexedContact, SahutScan } from '../sahut-index-types.ts';
import { nowSqlTime, type SqliteDatabase, toSqlTime } from './database.ts';

/**
 * Upserts one page of scanned contacts and returns the pairs
 * sharing a phone or email that involve them and were not reported yet for
 * `connection`: each pair is reported once.
 */
export function indexContacts(
  db: SqliteDatabase,
  connection: string,
  rows: readonly IndexedContact[],
  seenAt: Date,
): DuplicatePair[] {
  if (rows.length === 0) return [];
  // From this page's contacts out, by the phone and email indexes: never a scan of the whole index.
  const pairs = db.statement(
    `insert into duplicate_pairs (connection, a, b, by, at)
     select :connection, a, b, max(by), :at from (
       select min(p.sahut_id, o.sahut_id) as a, max(p.sahut_id, o.sahut_id) as b, 'phone' as by
       from sahut_index p join sahut_index o on o.phone = p.phone and o.sahut_id <> p.sahut_id
       where p.sahut_id in (select value from json_each(:ids)) and p.phone is not null
       union all
       select min(p.sahut_id, o.sahut_id), max(p.sahut_id, o.sahut_id), 'email'
       from sahut_index p join sahut_index o on o.email = p.email and o.sahut_id <> p.sahut_id
       where p.sahut_id in (select value from json_each(:ids)) and p.email is not null
     )
     where true
     group by a, b
     on conflict do nothing
     returning a, b, by`,
  );
  return db.transaction(() => {
    upsertIndexed(db, rows, seenAt);
    const ids = JSON.stringify(rows.map((r) => r.sahutId));
    return pairs.all({ connection, ids, at: nowSqlTime() }).map((row) => duplicatePairRowSchema.parse(row));
  });
}

/** Upserts contacts into the index; the caller holds the transaction. */
export function upsertIndexed(db: SqliteDatabase, rows: readonly IndexedContact[], seenAt: Date): void {
  const upsert = db.statement(
    `insert into sahut_index (sahut_id, phone, email, contact, seen_at)
     values (:sahutId, :phone, :email, :contact, :seenAt)
     on conflict (sahut_id) do update set
       phone = excluded.phone, email = excluded.email, contact = excluded.contact, seen_at = excluded.seen_at`,
  );
  for (const r of rows) {
    upsert.run({
      sahutId: r.sahutId,
      phone: r.phone,
      email: r.email,
      contact: JSON.stringify(r.contact),
      seenAt: toSqlTime(seenAt),
    });
  }
}

/** The indexed contacts with this phone or email. */
export function findIndexed(
  db: SqliteDatabase,
  identity: { phone: string | null; email: string | null },
): unknown[] {
  if (!identity.phone && !identity.email) return [];
  return db
    .statement('select contact from sahut_index where phone = :phone or email = :email order by sahut_id')
    .all({ phone: identity.phone, email: identity.email })
    .map((row) => indexedContactRowSchema.parse(row).contact);
}

export function findIndexedBatch(
  db: SqliteDatabase,
  identities: readonly { phone: string | null; email: string | null }[],
): unknown[][] {
  return identities.map((identity) => findIndexed(db, identity));
}

export function startScan(db: SqliteDatabase, id: string, at: Date): void {
  db.statement('insert into sahut_scans (id, started_at) values (:id, :at)').run({ id, at: toSqlTime(at) });
}

/** A complete scan: whatever it did not see (and nobody indexed since it began) is gone from Sahut. */
export function finishScan(
  db: SqliteDatabase,
  id: string,
  counts: { contacts: number; pages: number },
  at: Date,
): void {
  db.transaction(() => {
    db.statement(
      'update sahut_scans set finished_at = :at, contacts = :contacts, pages = :pages where id = :id',
    ).run({ id, at: toSqlTime(at), ...counts });
    db.statement(
      'delete from sahut_index where seen_at < (select started_at from sahut_scans where id = :id)',
    ).run({ id });
  });
}

export function lastScan(db: SqliteDatabase): SahutScan | null {
  const row = db
    .statement(
      `select id, started_at, finished_at, contacts, pages from sahut_scans
       where finished_at is not null order by finished_at desc limit 1`,
    )
    .get();
  return row ? sahutScanRowSchema.parse(row) : null;
}
