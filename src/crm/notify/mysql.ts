import type { Pool, RowDataPacket } from 'mysql2/promise';
import { quoteIdent } from '../mysql/sql.ts';
import {
  CHANGE_LOG,
  type ChangeFeed,
  type ChangeFeedHandlers,
  literal,
  objectName,
  TOMBSTONES,
} from './names.ts';

export interface MysqlTable {
  database?: string | undefined;
  table: string;
  idColumn: string;
}

const logTable = (database: string | undefined) =>
  `${database === undefined ? '' : `${quoteIdent(database)}.`}${quoteIdent(CHANGE_LOG)}`;

/** The tombstone table beside a MySQL/MariaDB CRM table (in its database). */
export const mysqlTombstones = (database: string | undefined) =>
  `${database === undefined ? '' : `${quoteIdent(database)}.`}${quoteIdent(TOMBSTONES)}`;

/**
 * Row triggers (MySQL has no statement triggers and no LISTEN) that append the
 * connection's name to a change-log table beside the CRM table. An insert with
 * AUTO_INCREMENT takes no lock held to commit, so concurrent CRM writers do not
 * wait on each other; the poller deletes what it has seen, so the log stays small. A
 * delete also records the row's id in the tombstone table (TOMBSTONES), read by the next run.
 */
export function mysqlTriggerSql(connection: string, source: MysqlTable) {
  const db = source.database === undefined ? '' : `${quoteIdent(source.database)}.`;
  const table = `${db}${quoteIdent(source.table)}`;
  const log = logTable(source.database);
  const name = (event: string) => `${db}${quoteIdent(objectName('sahut_sync_', connection, `_${event}`))}`;
  const append = `INSERT INTO ${log} (connection) VALUES (${literal(connection, true)})`;
  const tombstones = mysqlTombstones(source.database);
  const bury = `INSERT INTO ${tombstones} (connection, crm_id) VALUES (${literal(connection, true)}, CAST(OLD.${quoteIdent(source.idColumn)} AS CHAR))`;
  return {
    install: [
      `CREATE TABLE IF NOT EXISTS ${log} (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  connection VARCHAR(63) NOT NULL,
  KEY by_connection (connection, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`,
      ...['ins', 'upd'].flatMap((event) => [
        `DROP TRIGGER IF EXISTS ${name(event)}`,
        `CREATE TRIGGER ${name(event)} AFTER ${event === 'ins' ? 'INSERT' : 'UPDATE'} ON ${table} FOR EACH ROW ${append}`,
      ]),
      `CREATE TABLE IF NOT EXISTS ${tombstones} (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  connection VARCHAR(63) NOT NULL,
  crm_id VARCHAR(255) NOT NULL,
  deleted_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY by_connection (connection, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`,
      // Two one-statement triggers rather than a BEGIN … END block, which the mysql client
      // would need a DELIMITER for when a person runs the printed SQL by hand.
      `DROP TRIGGER IF EXISTS ${name('del')}`,
      `CREATE TRIGGER ${name('del')} AFTER DELETE ON ${table} FOR EACH ROW ${append}`,
      `DROP TRIGGER IF EXISTS ${name('gone')}`,
      `CREATE TRIGGER ${name('gone')} AFTER DELETE ON ${table} FOR EACH ROW ${bury}`,
    ],
    // The tombstone table stays: other connections may share it, and it may hold deletions not yet read.
    remove: ['ins', 'upd', 'del', 'gone'].map((event) => `DROP TRIGGER IF EXISTS ${name(event)}`),
  };
}

export interface PollOptions extends ChangeFeedHandlers {
  pool: Pool;
  database?: string | undefined;
  /** The connections reading this database with `notify: true`. */
  connections: readonly string[];
  intervalMs: number;
}

/**
 * Polls the change log every `intervalMs`: a connection with rows has changed;
 * its rows up to the newest seen are then deleted. Rows written while nothing
 * polled stay, so changes made while the poller was down are still found.
 */
export function pollMysql(opts: PollOptions): ChangeFeed {
  const log = logTable(opts.database);
  const marks = opts.connections.map(() => '?').join(', ');
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failing = false;
  let inFlight: Promise<void> = Promise.resolve();
  let polled: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    polled = resolve;
  });

  const poll = async () => {
    try {
      const [rows] = await opts.pool.execute<RowDataPacket[]>(
        `SELECT connection, CAST(MAX(id) AS CHAR) AS upto FROM ${log} WHERE connection IN (${marks}) GROUP BY connection`,
        [...opts.connections],
      );
      for (const row of rows) {
        opts.onChange(String(row.connection));
        await opts.pool.execute(`DELETE FROM ${log} WHERE connection = ? AND id <= ?`, [
          String(row.connection),
          String(row.upto),
        ]);
      }
      failing = false;
      polled();
    } catch (err) {
      if (!failing) opts.onError(err);
      failing = true;
    }
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      inFlight = poll().finally(schedule);
    }, opts.intervalMs);
  };
  inFlight = poll().finally(schedule);

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
