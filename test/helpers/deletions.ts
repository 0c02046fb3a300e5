import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import type { Config } from '../../src/config/index.ts';
import { createMysqlPool, type SourceInput } from '../../src/crm/index.ts';
import type { Direction } from '../../src/domain/index.ts';
import { enqueueRun, waitForRun } from '../../src/queue/index.ts';
import { buildSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { CrmKind } from './crm-tables.ts';
import type { Node } from './engine.ts';
import {
  API_KEY,
  deletePrefix,
  MYSQL_URL,
  PG_URL,
  privateStore,
  type StoreKind,
  testConfig,
  uniqueName,
} from './env.ts';

/** A mapping with a constant tag, which `onCrmDelete: tag` takes off. */
export const DELETIONS_MAPPING = `
fields:
  name:    { from: name }
  phone:   { from: phone }
  email:   { from: email }
  company: { from: company }
  tags:    { from: tags, transform: split, separator: ";", constant: [crm-sync] }
`;

/** A local alert webhook: every JSON body it was sent. */
export async function alertReceiver() {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    bodies.push(JSON.parse(text) as Record<string, unknown>);
    res.writeHead(200).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface DeletionDeployment {
  sandbox: Sandbox;
  baseUrl: string;
  store: Store;
  config: Readonly<Config>;
  alerts: Awaited<ReturnType<typeof alertReceiver>>;
  dispose(): Promise<void>;
}

/** The sandbox with its admin routes, a private store and queue prefix, and an alert webhook. */
export async function deletionDeployment(
  kind: StoreKind,
  sandboxOptions: Partial<SandboxOptions> = {},
): Promise<DeletionDeployment> {
  const sandbox = await buildSandbox({ apiKey: API_KEY, admin: true, ...sandboxOptions });
  const baseUrl = await sandbox.listen();
  const s = await privateStore(kind);
  const alerts = await alertReceiver();
  const prefix = uniqueName('deletions');
  const config = testConfig({
    ...s.env,
    SAHUT_BASE_URL: baseUrl,
    QUEUE_PREFIX: prefix,
    ALERT_WEBHOOK_URL: alerts.url,
  });
  return {
    sandbox,
    baseUrl,
    store: s.store,
    config,
    alerts,
    async dispose() {
      await sandbox.close();
      await alerts.close();
      await s.dispose();
      await deletePrefix(prefix);
    },
  };
}

/** One run, waited for; `extra` as `run --once` passes it (`--full`, `--allow-deletes`). */
export async function runWith(
  node: Node,
  direction: Direction = 'crm-to-sahut',
  extra: { full?: boolean; allowDeletes?: number } = {},
  connection = 'crm',
) {
  const { job, runId } = await enqueueRun(node.rt, connection, direction, 'cli', extra);
  return waitForRun(node.rt, job, runId);
}

/** What an admin of the sandbox does over HTTP: delete a contact, or merge one into another. */
export function sandboxAdmin(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/_admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path}: ${res.status}`);
  };
  return {
    remove: (id: string) => call('DELETE', `/contacts/${id}`),
    merge: (survivor: string, absorbed: string) => call('POST', '/merges', { survivor, absorbed }),
  };
}

export interface DeletionTable {
  /** The table as a source; `view: true` reads the view of visible rows instead. */
  source(extra?: { view?: boolean; deletedColumn?: string }): SourceInput;
  insert(rows: readonly { name: string; phone?: string; email?: string; tags?: string }[]): Promise<string[]>;
  /** Soft-deletes a row as a CRM does: its deleted_at and updated_at set. */
  softDelete(id: string): Promise<void>;
  hardDelete(id: string): Promise<void>;
  /** Whether the row's deleted_at is set (null when there is no such row). */
  isSoftDeleted(id: string): Promise<boolean | null>;
  /** Hides every row from the view (a CRM view that suddenly filters everything). */
  hideAll(): Promise<void>;
  /** Rows of the tombstone table for this connection. */
  tombstones(connection: string): Promise<number>;
  drop(): Promise<void>;
}

/** A CRM table with a soft-delete column and a view over its visible rows, in PostgreSQL or MariaDB. */
export async function deletionTable(kind: CrmKind): Promise<DeletionTable> {
  const suffix = randomUUID().slice(0, 8);
  if (kind === 'postgres') {
    const schema = `crm_del_${suffix}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(
      `CREATE TABLE ${schema}.contacts (id serial PRIMARY KEY, name text, phone text, email text, company text,
       tags text, visible boolean NOT NULL DEFAULT true, deleted_at timestamptz,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(
      `CREATE VIEW ${schema}.visible_contacts AS SELECT * FROM ${schema}.contacts WHERE visible`,
    );
    return {
      source: (extra = {}) => ({
        type: 'postgres',
        url: PG_URL,
        schema,
        table: extra.view ? 'visible_contacts' : 'contacts',
        ...(extra.deletedColumn ? { deletedColumn: extra.deletedColumn } : {}),
      }),
      async insert(rows) {
        const ids: string[] = [];
        for (const r of rows) {
          const { rows: out } = await pool.query(
            `INSERT INTO ${schema}.contacts (name, phone, email, tags) VALUES ($1, $2, $3, $4) RETURNING id::text`,
            [r.name, r.phone ?? null, r.email ?? null, r.tags ?? null],
          );
          ids.push(out[0].id);
        }
        return ids;
      },
      softDelete: async (id) => {
        await pool.query(
          `UPDATE ${schema}.contacts SET deleted_at = now(), updated_at = now() WHERE id = $1`,
          [id],
        );
      },
      hardDelete: async (id) => {
        await pool.query(`DELETE FROM ${schema}.contacts WHERE id = $1`, [id]);
      },
      hideAll: async () => {
        await pool.query(`UPDATE ${schema}.contacts SET visible = false, updated_at = now()`);
      },
      async isSoftDeleted(id) {
        const { rows } = await pool.query(`SELECT deleted_at FROM ${schema}.contacts WHERE id = $1`, [id]);
        return rows[0] ? rows[0].deleted_at !== null : null;
      },
      async tombstones(connection) {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM ${schema}.sahut_sync_deletions WHERE connection = $1`,
          [connection],
        );
        return rows[0].n;
      },
      async drop() {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`);
        await pool.end();
      },
    };
  }
  const table = `del_${suffix}`;
  const pool = createMysqlPool({ url: MYSQL_URL }, '/');
  await pool.query(
    `CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200), phone VARCHAR(64),
     email VARCHAR(200), company VARCHAR(200), tags VARCHAR(500), visible TINYINT(1) NOT NULL DEFAULT 1,
     deleted_at DATETIME(6) NULL, updated_at DATETIME(6) NOT NULL DEFAULT NOW(6)) DEFAULT CHARSET=utf8mb4`,
  );
  await pool.query(`CREATE VIEW ${table}_visible AS SELECT * FROM ${table} WHERE visible = 1`);
  return {
    source: (extra = {}) => ({
      type: 'mysql',
      url: MYSQL_URL,
      table: extra.view ? `${table}_visible` : table,
      ...(extra.deletedColumn ? { deletedColumn: extra.deletedColumn } : {}),
    }),
    async insert(rows) {
      const ids: string[] = [];
      for (const r of rows) {
        const [out] = await pool.execute(
          `INSERT INTO ${table} (name, phone, email, tags) VALUES (?, ?, ?, ?)`,
          [r.name, r.phone ?? null, r.email ?? null, r.tags ?? null],
        );
        ids.push(String((out as { insertId: number }).insertId));
      }
      return ids;
    },
    softDelete: async (id) => {
      await pool.execute(`UPDATE ${table} SET deleted_at = NOW(6), updated_at = NOW(6) WHERE id = ?`, [id]);
    },
    hardDelete: async (id) => {
      await pool.execute(`DELETE FROM ${table} WHERE id = ?`, [id]);
    },
    hideAll: async () => {
      await pool.query(`UPDATE ${table} SET visible = 0, updated_at = NOW(6)`);
    },
    async isSoftDeleted(id) {
      const [rows] = await pool.query<RowDataPacket[]>(`SELECT deleted_at FROM ${table} WHERE id = ?`, [id]);
      return rows[0] ? rows[0].deleted_at !== null : null;
    },
    async tombstones(connection) {
      const [rows] = await pool.query<RowDataPacket[]>(
        'SELECT count(*) AS n FROM sahut_sync_deletions WHERE connection = ?',
        [connection],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async drop() {
      await pool.query(`DROP VIEW IF EXISTS ${table}_visible`);
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    },
  };
}
