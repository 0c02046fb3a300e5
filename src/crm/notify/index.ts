import pg from 'pg';
import { postgresUrlOf, type SourceConfig } from '../config.ts';
import { CrmError } from '../errors.ts';
import { createMysqlPool } from '../mysql/pool.ts';
import { mysqlTriggerSql } from './mysql.ts';
import { postgresTriggerSql } from './postgres.ts';

export { pollMysql } from './mysql.ts';
export { CHANGE_LOG, CHANNEL, type ChangeFeed, type ChangeFeedHandlers } from './names.ts';
export { listenPostgres } from './postgres.ts';

/** The statements that install, and those that remove, the change trigger of one connection. */
export function triggerSql(
  connection: string,
  source: SourceConfig,
): { install: string[]; remove: string[] } {
  switch (source.type) {
    case 'postgres':
      return postgresTriggerSql(connection, source);
    case 'mysql':
      return mysqlTriggerSql(connection, source);
    case 'file':
    case 'hubspot':
      throw new CrmError(
        'SOURCE_INVALID',
        `Connection ${connection} reads ${source.type === 'file' ? 'a file' : 'HubSpot (its changes arrive by webhook)'}: only database sources have triggers`,
      );
  }
}

/**
 * Runs trigger statements on the source's database, in order: in one
 * transaction on PostgreSQL; one by one on MySQL/MariaDB, where DDL commits
 * by itself (every statement is idempotent, so running them again completes it).
 */
export async function runTriggerSql(
  source: SourceConfig,
  statements: readonly string[],
  deps: { postgresUrl: string | undefined; baseDir: string },
): Promise<void> {
  if (source.type === 'postgres') {
    const url = postgresUrlOf(source, deps.postgresUrl);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      for (const sql of statements) await client.query(sql);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  } else if (source.type === 'mysql') {
    const pool = createMysqlPool(source, deps.baseDir);
    try {
      for (const sql of statements) await pool.query(sql);
    } finally {
      await pool.end();
    }
  }
}
