import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { createMysqlPool, type SourceInput } from '../../src/crm/index.ts';
import { MYSQL_URL, PG_URL } from './env.ts';

export type CrmKind = 'postgres' | 'mariadb';

/**
 * Loads the demo CRM that `docker compose up` starts with (schema `crm`, table
 * `contacts`, 300 rows in real CRMs' phone formats) into `schema` instead.
 */
export async function loadDemoCrm(client: pg.Client, schema: string): Promise<void> {
  const seed = await readFile(
    new URL('../../config/compose/initdb/01-demo-crm.sql', import.meta.url),
    'utf8',
  );
  await client.query(
    seed.replaceAll('crm.', `${schema}.`).replace('SCHEMA IF NOT EXISTS crm', `SCHEMA ${schema}`),
  );
}

/** A CRM row as the tests read it back; `id` as text. */
export interface CrmRow {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  company: string | null;
  tags: string | null;
  tier: string | null;
  status: string;
}

export interface CrmTable {
  kind: CrmKind;
  /** The connection's `source` for this table (the YAML of a connections file takes the same keys). */
  source: SourceInput;
  /** Inserts rows as a CRM user would (status `open`); returns their ids. */
  insert(rows: readonly Partial<Omit<CrmRow, 'id'>>[]): Promise<string[]>;
  rows(): Promise<CrmRow[]>;
  drop(): Promise<void>;
}

const COLUMNS = ['name', 'phone', 'email', 'company', 'tags', 'tier', 'status'] as const;

/**
 * A CRM `contacts` table with the columns of MAPPING_YAML, an id the database
 * generates, a NOT NULL `status` without a default (a walk-in needs
 * `createInCrm.defaults`) and `updated_at`: in a private PostgreSQL schema,
 * or under a private name in MariaDB's `test` database.
 */
export async function crmTable(kind: CrmKind): Promise<CrmTable> {
  const suffix = randomUUID().slice(0, 8);
  if (kind === 'postgres') {
    const schema = `crm_walkin_${suffix}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".contacts (id serial PRIMARY KEY, name text, phone text, email text,
       company text, tags text, tier text, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    return {
      kind,
      source: { type: 'postgres', url: PG_URL, schema, table: 'contacts' },
      async insert(rows) {
        const ids: string[] = [];
        for (const row of rows) {
          const values = COLUMNS.map((c) => (c === 'status' ? (row.status ?? 'open') : (row[c] ?? null)));
          const { rows: out } = await pool.query(
            `INSERT INTO "${schema}".contacts (${COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
            values,
          );
          ids.push(out[0].id);
        }
        return ids;
      },
      async rows() {
        const { rows } = await pool.query(
          `SELECT id::text, ${COLUMNS.join(', ')} FROM "${schema}".contacts ORDER BY id`,
        );
        return rows as CrmRow[];
      },
      async drop() {
        await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        await pool.end();
      },
    };
  }
  const table = `walkin_${suffix}`;
  const pool = createMysqlPool({ url: MYSQL_URL }, '/');
  await pool.query(
    `CREATE TABLE \`${table}\` (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200), phone VARCHAR(64),
     email VARCHAR(200), company VARCHAR(200), tags VARCHAR(500), tier VARCHAR(50), status VARCHAR(20) NOT NULL,
     updated_at DATETIME(6) NOT NULL DEFAULT NOW(6)) DEFAULT CHARSET=utf8mb4`,
  );
  return {
    kind,
    source: { type: 'mysql', url: MYSQL_URL, table },
    async insert(rows) {
      const ids: string[] = [];
      for (const row of rows) {
        const values = COLUMNS.map((c) => (c === 'status' ? (row.status ?? 'open') : (row[c] ?? null)));
        const [out] = await pool.execute(
          `INSERT INTO \`${table}\` (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          values,
        );
        ids.push(String((out as { insertId: number }).insertId));
      }
      return ids;
    },
    async rows() {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT CAST(id AS CHAR) AS id, ${COLUMNS.join(', ')} FROM \`${table}\` ORDER BY id`,
      );
      return rows.map((r) => ({ ...r }) as CrmRow);
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await pool.end();
    },
  };
}
