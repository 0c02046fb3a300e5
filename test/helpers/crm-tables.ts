import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { createMysqlPool, type SourceInput } from '../../src/crm/index.ts';
import { MYSQL_URL, PG_URL, until } from './env.ts';

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
  /**
   * A person's edit of row `id` in a transaction that locks the row (`SELECT … FOR UPDATE`), left
   * open: `blocked()` resolves once a write-back waits on that lock, `commit()` ends it.
   */
  editInTransaction(id: string, fields: Partial<Omit<CrmRow, 'id'>>): Promise<OpenEdit>;
  /**
   * A person's read-modify-write of row `id`: in one transaction the row is read `FOR UPDATE`,
   * `change` says what to set (nothing: the transaction ends without a write), the row lock is
   * held `thinkMs` longer (a CRM screen's work before it saves), `updated_at` is bumped.
   * Resolves once committed, with the fields set.
   */
  change(
    id: string,
    change: (row: CrmRow) => Partial<Omit<CrmRow, 'id'>> | null,
    thinkMs?: number,
  ): Promise<Partial<Omit<CrmRow, 'id'>> | null>;
  /**
   * A person's deletion of row `id`: `soft` sets `deleted_at` (and bumps `updated_at`), `hard`
   * deletes the row. Resolves with the row as it was, or null when there was none to delete.
   */
  remove(id: string, how: 'soft' | 'hard'): Promise<CrmRow | null>;
  drop(): Promise<void>;
}

export interface OpenEdit {
  blocked(): Promise<void>;
  commit(): Promise<void>;
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
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".contacts (id serial PRIMARY KEY, name text, phone text, email text,
       company text, tags text, tier text, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
       deleted_at timestamptz)`,
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
          `SELECT id::text, ${COLUMNS.join(', ')} FROM "${schema}".contacts WHERE deleted_at IS NULL ORDER BY id`,
        );
        return rows as CrmRow[];
      },
      async editInTransaction(id, fields) {
        const person = await pool.connect();
        const names = Object.keys(fields) as (keyof typeof fields)[];
        const sets = names.map((c, i) => `${c} = $${i + 2}`);
        await person.query('BEGIN');
        await person.query(`SELECT id FROM "${schema}".contacts WHERE id = $1 FOR UPDATE`, [id]);
        await person.query(
          `UPDATE "${schema}".contacts SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`,
          [id, ...names.map((c) => fields[c])],
        );
        const waiting = async () =>
          (
            await pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND query LIKE $1`,
              [`%"${schema}"%`],
            )
          ).rows[0].n > 0;
        return {
          blocked: () => until(waiting, 30_000, 'a write-back to wait on the row lock'),
          async commit() {
            await person.query('COMMIT');
            person.release();
          },
        };
      },
      async change(id, change, thinkMs = 0) {
        const person = await pool.connect();
        try {
          await person.query('BEGIN');
          const { rows } = await person.query(
            `SELECT id::text, ${COLUMNS.join(', ')} FROM "${schema}".contacts WHERE id = $1 FOR UPDATE`,
            [id],
          );
          const fields = rows[0] ? change(rows[0] as CrmRow) : null;
          if (thinkMs > 0) await sleep(thinkMs);
          if (fields) {
            const names = Object.keys(fields) as (keyof typeof fields)[];
            await person.query(
              `UPDATE "${schema}".contacts SET ${[...names.map((c, i) => `${c} = $${i + 2}`), 'updated_at = now()'].join(', ')} WHERE id = $1`,
              [id, ...names.map((c) => fields[c])],
            );
          }
          await person.query('COMMIT');
          return fields;
        } catch (err) {
          await person.query('ROLLBACK').catch(() => {});
          throw err;
        } finally {
          person.release();
        }
      },
      async remove(id, how) {
        const { rows } = await pool.query(
          how === 'soft'
            ? `UPDATE "${schema}".contacts SET deleted_at = now(), updated_at = now()
               WHERE id = $1 AND deleted_at IS NULL RETURNING id::text, ${COLUMNS.join(', ')}`
            : `DELETE FROM "${schema}".contacts WHERE id = $1 RETURNING id::text, ${COLUMNS.join(', ')}`,
          [id],
        );
        return (rows[0] as CrmRow | undefined) ?? null;
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
     updated_at DATETIME(6) NOT NULL DEFAULT NOW(6), deleted_at DATETIME(6) NULL) DEFAULT CHARSET=utf8mb4`,
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
        `SELECT CAST(id AS CHAR) AS id, ${COLUMNS.join(', ')} FROM \`${table}\` WHERE deleted_at IS NULL ORDER BY id`,
      );
      return rows.map((r) => ({ ...r }) as CrmRow);
    },
    async editInTransaction(id, fields) {
      const person = await pool.getConnection();
      const names = Object.keys(fields) as (keyof typeof fields)[];
      await person.beginTransaction();
      await person.query(`SELECT id FROM \`${table}\` WHERE id = ? FOR UPDATE`, [id]);
      await person.query(
        `UPDATE \`${table}\` SET ${[...names.map((c) => `${c} = ?`), 'updated_at = NOW(6)'].join(', ')} WHERE id = ?`,
        [...names.map((c) => fields[c] ?? null), id],
      );
      const waiting = async () => {
        const [rows] = await pool.query<RowDataPacket[]>(
          `SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ? AND INFO LIKE '%FOR UPDATE'`,
          [`%\`${table}\`%`],
        );
        return Number(rows[0]?.n ?? 0) > 0;
      };
      return {
        blocked: () => until(waiting, 30_000, 'a write-back to wait on the row lock'),
        async commit() {
          await person.commit();
          person.release();
        },
      };
    },
    async change(id, change, thinkMs = 0) {
      const person = await pool.getConnection();
      try {
        await person.beginTransaction();
        const [rows] = await person.query<RowDataPacket[]>(
          `SELECT CAST(id AS CHAR) AS id, ${COLUMNS.join(', ')} FROM \`${table}\` WHERE id = ? FOR UPDATE`,
          [id],
        );
        const fields = rows[0] ? change({ ...rows[0] } as CrmRow) : null;
        if (thinkMs > 0) await sleep(thinkMs);
        if (fields) {
          const names = Object.keys(fields) as (keyof typeof fields)[];
          await person.query(
            `UPDATE \`${table}\` SET ${[...names.map((c) => `${c} = ?`), 'updated_at = NOW(6)'].join(', ')} WHERE id = ?`,
            [...names.map((c) => fields[c] ?? null), id],
          );
        }
        await person.commit();
        return fields;
      } catch (err) {
        await person.rollback().catch(() => {});
        throw err;
      } finally {
        person.release();
      }
    },
    async remove(id, how) {
      const person = await pool.getConnection();
      try {
        await person.beginTransaction();
        const [rows] = await person.query<RowDataPacket[]>(
          `SELECT CAST(id AS CHAR) AS id, ${COLUMNS.join(', ')} FROM \`${table}\` WHERE id = ? AND deleted_at IS NULL FOR UPDATE`,
          [id],
        );
        if (rows[0])
          await person.query(
            how === 'soft'
              ? `UPDATE \`${table}\` SET deleted_at = NOW(6), updated_at = NOW(6) WHERE id = ?`
              : `DELETE FROM \`${table}\` WHERE id = ?`,
            [id],
          );
        await person.commit();
        return rows[0] ? ({ ...rows[0] } as CrmRow) : null;
      } catch (err) {
        await person.rollback().catch(() => {});
        throw err;
      } finally {
        person.release();
      }
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await pool.end();
    },
  };
}
