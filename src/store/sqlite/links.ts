import { linkCountRowSchema } from '../attention-rows.ts';
import { lastWrites } from '../claim-batch.ts';
import { LINK_COLUMNS, LINK_UPSERT } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, LinkLookup, RecordWrites } from '../types.ts';
import { type SqliteDatabase, toSqlTime } from './database.ts';
import { upsertIndexed } from './sahut-index.ts';

const parseLink = (row: unknown): Link => linkRowSchema.parse(row);

/** One query for the whole batch: the ids travel as a JSON array. */
export function getLinks(
  db: SqliteDatabase,
  connection: string,
  crmIds: readonly string[],
): Map<string, Link> {
  if (crmIds.length === 0) return new Map();
  const rows = db
    .statement(
      `select ${LINK_COLUMNS} from links
       where connection = :connection and crm_id in (select value from json_each(:crmIds))`,
    )
    .all({ connection, crmIds: JSON.stringify(crmIds) });
  return new Map(rows.map(parseLink).map((link) => [link.crmId, link]));
}

/** One query for the whole batch; several CRM records may share a Sahut contact. */
export function getLinksBySahutIds(
  db: SqliteDatabase,
  connection: string,
  sahutIds: readonly string[],
): Link[] {
  if (sahutIds.length === 0) return [];
  return db
    .statement(
      `select ${LINK_COLUMNS} from links
       where connection = :connection and sahut_id in (select value from json_each(:sahutIds))
       order by sahut_id, crm_id`,
    )
    .all({ connection, sahutIds: JSON.stringify(sahutIds) })
    .map(parseLink);
}

/** Links matching any of the given keys, across connections. */
export function findLinks(db: SqliteDatabase, lookup: LinkLookup, limit: number): Link[] {
  const keys = {
    crmId: lookup.crmId ?? null,
    sahutId: lookup.sahutId ?? null,
    phone: lookup.phone ?? null,
    email: lookup.email ?? null,
  };
  if (Object.values(keys).every((key) => key === null)) return [];
  return db
    .statement(
      `select ${LINK_COLUMNS} from links
       where (crm_id = :crmId or sahut_id = :sahutId or phone = :phone or email = :email)
         and (:connection is null or connection = :connection)
       order by connection, crm_id
       limit :limit`,
    )
    .all({ ...keys, limit, connection: lookup.connection ?? null })
    .map(parseLink);
}

/** Keyset page: links of `connection` with crm_id after `afterCrmId`, in crm_id order. */
export function listLinks(
  db: SqliteDatabase,
  connection: string,
  afterCrmId: string | null,
  limit: number,
): Link[] {
  return db
    .statement(
      `select ${LINK_COLUMNS} from links
       where connection = :connection and (:afterCrmId is null or crm_id > :afterCrmId)
       order by crm_id
       limit :limit`,
    )
    .all({ connection, afterCrmId, limit })
    .map(parseLink);
}

export function upsertLink(db: SqliteDatabase, link: Link): void {
  db.statement(
    `insert into links (${LINK_COLUMNS})
     values (:connection, :crmId, :sahutId, :phone, :email, :base, :crmHash, :sahutHash, :syncedAt,
             :writtenRun, :writtenAction)
     ${LINK_UPSERT}`,
  ).run({
    connection: link.connection,
    crmId: link.crmId,
    sahutId: link.sahutId,
    phone: link.phone,
    email: link.email,
    base: JSON.stringify(link.base),
    crmHash: link.crmHash,
    sahutHash: link.sahutHash,
    syncedAt: toSqlTime(link.syncedAt),
    writtenRun: link.writtenBy?.runId ?? null,
    writtenAction: link.writtenBy?.action ?? null,
  });
}

/** A record job's links and created contacts, in one transaction. */
export function saveRecordWrites(db: SqliteDatabase, writes: RecordWrites): void {
  const { links, indexed } = lastWrites(writes);
  if (links.length === 0 && indexed.length === 0) return;
  db.transaction(() => {
    for (const link of links) upsertLink(db, link);
    upsertIndexed(db, indexed, writes.seenAt);
  });
}

export function countLinks(db: SqliteDatabase): Map<string, number> {
  const rows = db
    .statement('select connection, count(*) as links from links group by connection order by connection')
    .all()
    .map((row) => linkCountRowSchema.parse(row));
  return new Map(rows.map((r) => [r.connection, r.links]));
}
