import type { RowDataPacket } from 'mysql2/promise';
import type { MysqlSourceConfig } from '../config.ts';
import { createMysqlPool } from '../mysql/pool.ts';
import { quoteIdent } from '../mysql/sql.ts';
import { CHANGE_LOG, objectName } from '../notify/names.ts';
import type { SourceCatalog, SourceFacts, WriteDenied } from './types.ts';
import { sampleRow } from './types.ts';

const TEMPORAL = new Set(['datetime', 'timestamp', 'date']);
/** ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR. */
const DENIED = new Set([1142, 1143]);

/** The catalog of one MySQL/MariaDB table or view, through information_schema. */
export function mysqlCatalog(source: MysqlSourceConfig, baseDir: string): SourceCatalog {
  const connectTimeoutMs = source.pool?.connectTimeoutMs ?? 10_000;
  const pool = createMysqlPool(
    { ...source, pool: { max: 1, idleTimeoutMs: 60_000, connectTimeoutMs } },
    baseDir,
  );
  const db = source.database ?? null;
  const table = `${source.database === undefined ? '' : `${quoteIdent(source.database)}.`}${quoteIdent(source.table)}`;
  const rows = async <T>(sql: string, values: unknown[] = []) => {
    const [found] = await pool.query<RowDataPacket[]>(sql, values);
    return found as T[];
  };
  const where = 'TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?';

  return {
    async facts(sampleSize): Promise<SourceFacts | null> {
      const [found] = await rows<{ db: string; type: string }>(
        `SELECT TABLE_SCHEMA AS db, TABLE_TYPE AS type FROM information_schema.TABLES WHERE ${where}`,
        [db, source.table],
      );
      if (found === undefined) return null;
      const columns = await rows<{ name: string; type: string }>(
        `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE ${where}
         ORDER BY ORDINAL_POSITION`,
        [db, source.table],
      );
      const keyed = (condition: string) =>
        rows<{ name: string }>(
          `SELECT DISTINCT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE ${where} AND ${condition}`,
          [db, source.table],
        ).then((list) => list.map((r) => r.name));
      const view = found.type !== 'BASE TABLE';
      const sample = await rows<Record<string, unknown>>(
        `SELECT * FROM ${table} LIMIT ${Math.trunc(sampleSize)}`,
      );
      return {
        label: `${found.db}.${source.table}`,
        namespace: found.db,
        relation: view ? 'view' : 'table',
        columns: columns.map((c) => ({
          name: c.name,
          type: c.type,
          temporal: TEMPORAL.has(c.type.toLowerCase()),
        })),
        primaryKey: await keyed(`INDEX_NAME = 'PRIMARY'`),
        indexed: view ? null : await keyed('SEQ_IN_INDEX = 1'),
        sample: sample.map(sampleRow),
      };
    },

    async triggerInstalled(connection) {
      const names = ['_ins', '_upd'].map((event) => objectName('sahut_sync_', connection, event));
      const triggers = await rows<{ name: string }>(
        `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS
         WHERE TRIGGER_SCHEMA = COALESCE(?, DATABASE()) AND EVENT_OBJECT_TABLE = ?`,
        [db, source.table],
      );
      const log = await rows(`SELECT 1 FROM information_schema.TABLES WHERE ${where}`, [db, CHANGE_LOG]);
      return log.length > 0 && names.every((name) => triggers.some((t) => t.name === name));
    },

    /** EXPLAIN checks the privileges of the statement it explains, and runs nothing. */
    async writeDenied(update, insert): Promise<WriteDenied | null> {
      const list = (columns: readonly string[]) => columns.map(quoteIdent).join(', ');
      const statements: [string, readonly string[], string][] = [
        [
          'UPDATE',
          update,
          `EXPLAIN UPDATE ${table} SET ${update.map((c) => `${quoteIdent(c)} = ${quoteIdent(c)}`).join(', ')} WHERE 1 = 0`,
        ],
        [
          'INSERT',
          insert,
          `EXPLAIN INSERT INTO ${table} (${list(insert)}) SELECT ${list(insert)} FROM ${table} WHERE 1 = 0`,
        ],
      ];
      for (const [privilege, columns, sql] of statements) {
        if (columns.length === 0) continue;
        try {
          await pool.query(sql);
        } catch (err) {
          const errno = (err as { errno?: unknown }).errno;
          if (typeof errno !== 'number' || !DENIED.has(errno)) throw err;
          const [user] = await rows<{ name: string }>('SELECT CURRENT_USER() AS name');
          const [name = '', host = '%'] = (user?.name ?? '').split('@');
          return {
            problem: (err as Error).message,
            grant: `GRANT ${privilege} (${list(columns)}) ON ${table} TO '${name}'@'${host}'`,
          };
        }
      }
      return null;
    },

    createIndexSql: (column) =>
      `CREATE INDEX ${quoteIdent(`${column}_idx`)} ON ${table} (${quoteIdent(column)})`,

    close: () => pool.end(),
  };
}
