import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CrmConnector,
  createMysqlConnector,
  createMysqlPool,
  createPostgresConnector,
  isCrmError,
} from '../src/crm/index.ts';
import { catchError } from './crm-connector-suite.ts';
import { MYSQL_URL, PG_URL } from './helpers/env.ts';

/**
 * What walk-ins need of a database connector: `findByIdentity` finds rows
 * however they write the phone and the email, `create` may fill the
 * configured default columns (and nothing else unmapped), and a refused
 * insert is told apart from a lost one.
 */
interface Db {
  table(): Promise<string>;
  insert(table: string, rows: { mobile?: string; email?: string; status?: string }[]): Promise<string[]>;
  connector(table: string, insertColumns?: string[]): CrmConnector;
  close(): Promise<void>;
}

/** The same table on both databases: an id, the two identity columns, and `updated_at`. */
const tableOptions = (table: string, insertColumns?: string[]) => ({
  table,
  idColumn: 'id',
  cursorColumn: 'updated_at',
  columns: ['mobile', 'email'],
  ...(insertColumns ? { insertColumns } : {}),
});

const pgPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schema = `crm_find_${randomUUID().slice(0, 8)}`;
const postgres: Db = {
  async table() {
    await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const name = `t_${randomUUID().slice(0, 8)}`;
    await pgPool.query(
      `CREATE TABLE "${schema}"."${name}" (id serial PRIMARY KEY, mobile text, email text,
       status text NOT NULL DEFAULT 'open', updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    return name;
  },
  async insert(table, rows) {
    const ids: string[] = [];
    for (const r of rows) {
      const { rows: out } = await pgPool.query(
        `INSERT INTO "${schema}"."${table}" (mobile, email) VALUES ($1, $2) RETURNING id::text`,
        [r.mobile ?? null, r.email ?? null],
      );
      ids.push(out[0].id);
    }
    return ids;
  },
  connector: (table, insertColumns) =>
    createPostgresConnector({ pool: pgPool, schema, ...tableOptions(table, insertColumns) }),
  async close() {
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  },
};

const myPool = createMysqlPool({ url: MYSQL_URL }, '/');
const myTables: string[] = [];
const mariadb: Db = {
  async table() {
    const name = `find_${randomUUID().slice(0, 8)}`;
    await myPool.query(
      `CREATE TABLE \`${name}\` (id INT AUTO_INCREMENT PRIMARY KEY, mobile VARCHAR(64), email VARCHAR(200),
       status VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL DEFAULT NOW(6)) DEFAULT CHARSET=utf8mb4`,
    );
    myTables.push(name);
    return name;
  },
  async insert(table, rows) {
    const ids: string[] = [];
    for (const r of rows) {
      const [out] = await myPool.execute(
        `INSERT INTO \`${table}\` (mobile, email, status) VALUES (?, ?, 'open')`,
        [r.mobile ?? null, r.email ?? null],
      );
      ids.push(String((out as { insertId: number }).insertId));
    }
    return ids;
  },
  connector: (table, insertColumns) =>
    createMysqlConnector({ pool: myPool, ...tableOptions(table, insertColumns) }),
  async close() {
    for (const t of myTables) await myPool.query(`DROP TABLE IF EXISTS \`${t}\``);
    await myPool.end();
  },
};

afterAll(async () => {
  await postgres.close();
  await mariadb.close();
});

const probe = {
  phone: { columns: ['mobile'], digits: '8123456789' },
  email: { column: 'email', address: 'budi@example.com' },
  limit: 20,
};

describe.each([
  ['postgres', postgres],
  ['mariadb', mariadb],
] as const)('identity lookup and create for walk-ins (%s)', (kind, db) => {
  it('finds rows by the phone digits or the email, however written, and nothing else', async () => {
    const table = await db.table();
    const ids = await db.insert(table, [
      { mobile: '0812-3456-789' },
      { mobile: '+62 (812) 3456 789' },
      { email: ' Budi@Example.COM' },
      { mobile: '0812-3456-780', email: 'budi@example.co' },
      { mobile: '628123456789', email: 'x@example.com' },
    ]);
    const connector = db.connector(table);
    const found = await connector.findByIdentity?.(probe);
    expect(found?.map((r) => r.id).sort()).toEqual([ids[0], ids[1], ids[2], ids[4]].sort());
    expect(found?.find((r) => r.id === ids[2])?.data).toEqual({ mobile: null, email: ' Budi@Example.COM' });
    expect(await connector.findByIdentity?.({ ...probe, limit: 2 })).toHaveLength(2);
    expect(await connector.findByIdentity?.({ limit: 5 })).toEqual([]);
    const unmapped = await catchError(
      () =>
        connector.findByIdentity?.({ email: { column: 'status', address: 'x' }, limit: 5 }) ??
        Promise.resolve(),
    );
    expect(isCrmError(unmapped, 'SOURCE_INVALID')).toBe(true);
  });

  it('creates with the default columns it was given, and refuses others', async () => {
    const table = await db.table();
    const id = await db.connector(table, ['status']).create?.({ mobile: '+628123456789', status: 'new' });
    expect(id).toMatch(/^\d+$/);
    const refused = await catchError(
      () => db.connector(table).create?.({ status: 'new' }) ?? Promise.resolve(''),
    );
    expect(isCrmError(refused, 'COLUMN_NOT_WRITABLE')).toBe(true);
  });

  it('reports a refused insert (a constraint) as WRITE_REFUSED, not as a lost one', async () => {
    const table = await db.table();
    const connector = db.connector(table, ['status']);
    const refused = await catchError(
      () => connector.create?.({ mobile: '1', status: null }) ?? Promise.resolve(''),
    );
    expect(isCrmError(refused, 'WRITE_REFUSED')).toBe(true);
    expect((refused as Error).message).toMatch(/status/);
    if (kind === 'mariadb') {
      // Left out, with no default (this table's status has none): reported under a generic SQLSTATE.
      const missing = await catchError(() => connector.create?.({ mobile: '1' }) ?? Promise.resolve(''));
      expect(isCrmError(missing, 'WRITE_REFUSED')).toBe(true);
    }
  });
});
