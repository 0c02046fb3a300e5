import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mysql, {
  type ExecuteValues,
  type Pool,
  type PoolConnection,
  type RowDataPacket,
} from 'mysql2/promise';
import { CrmError } from '../errors.ts';

export interface MysqlPoolSettings {
  /** mysql://user:password@host:3306/database */
  url: string;
  /** `true`: TLS verified against the system CAs; files are PEM, relative to `baseDir`. */
  tls?: true | { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } | undefined;
  pool?: { max: number; idleTimeoutMs: number; connectTimeoutMs: number } | undefined;
}

export const DEFAULT_POOL = { max: 4, idleTimeoutMs: 60_000, connectTimeoutMs: 10_000 };

function pem(baseDir: string, path: string | undefined, setting: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(resolve(baseDir, path));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CrmError(
      'SOURCE_INVALID',
      `Cannot read the file of source.tls.${setting} (${path}): ${reason}`,
    );
  }
}

/**
 * A pool whose sessions talk utf8mb4 (emoji and any script survive both ways)
 * and return DATE/DATETIME/TIMESTAMP and BIGINT/DECIMAL as text: a JS Date
 * would shift wall-clock values by the worker's time zone, and a JS number
 * would round big ids. The session keeps the server's time zone, so NOW()
 * stamps what the CRM's own writes stamp.
 */
export function createMysqlPool(settings: MysqlPoolSettings, baseDir: string): Pool {
  const { max, idleTimeoutMs, connectTimeoutMs } = settings.pool ?? DEFAULT_POOL;
  const tls = settings.tls;
  return mysql.createPool({
    uri: settings.url,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectionLimit: max,
    maxIdle: max,
    idleTimeout: idleTimeoutMs,
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    ...(tls === undefined
      ? {}
      : {
          ssl:
            tls === true
              ? { rejectUnauthorized: true }
              : {
                  ca: pem(baseDir, tls.ca, 'ca'),
                  cert: pem(baseDir, tls.cert, 'cert'),
                  key: pem(baseDir, tls.key, 'key'),
                  rejectUnauthorized: tls.rejectUnauthorized,
                },
        }),
  });
}

/** A prepared statement whose rows come back as arrays, in select-list order. */
export async function selectArrays(
  db: Pool | PoolConnection,
  query: { sql: string; values: unknown[] },
): Promise<unknown[][]> {
  const [rows] = await db.execute<RowDataPacket[][]>(
    { sql: query.sql, rowsAsArray: true },
    query.values.map(toParam),
  );
  return rows as unknown[][];
}

/** A value as a statement parameter: lists and objects as JSON text (as pg sends them), undefined as NULL. */
export function toParam(value: unknown): ExecuteValues {
  if (value === undefined) return null;
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !(value instanceof Date)) {
    return JSON.stringify(value);
  }
  return value as ExecuteValues;
}
