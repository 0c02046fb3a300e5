import pg from 'pg';
import { quoteIdent } from '../postgres/sql.ts';
import {
  CHANNEL,
  type ChangeFeed,
  type ChangeFeedHandlers,
  literal,
  objectName,
  TOMBSTONES,
} from './names.ts';

export interface PostgresTable {
  schema?: string | undefined;
  table: string;
  idColumn: string;
}

/** The tombstone table beside a PostgreSQL CRM table (in its schema, or the search_path's). */
export const postgresTombstones = (schema: string | undefined) =>
  `${schema === undefined ? '' : `${quoteIdent(schema)}.`}${quoteIdent(TOMBSTONES)}`;

/**
 * A statement-level trigger that notifies CHANNEL with the connection's name
 * after every INSERT, UPDATE or DELETE. PostgreSQL delivers identical notifications of
 * one transaction once, so a transaction of 1,000 updates wakes us once. A row trigger
 * records the id of every deleted row in the tombstone table (TOMBSTONES), which the
 * next run reads: a hard delete leaves nothing else to find.
 */
export function postgresTriggerSql(connection: string, source: PostgresTable) {
  const schema = source.schema === undefined ? '' : `${quoteIdent(source.schema)}.`;
  const table = `${schema}${quoteIdent(source.table)}`;
  const fn = `${schema}${quoteIdent(objectName('sahut_sync_notify_', connection))}`;
  const trigger = quoteIdent(objectName('sahut_sync_', connection));
  const tombstones = postgresTombstones(source.schema);
  const onDelete = `${schema}${quoteIdent(objectName('sahut_sync_deleted_', connection))}`;
  const deleteTrigger = quoteIdent(objectName('sahut_sync_deleted_', connection));
  return {
    install: [
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify(${literal(CHANNEL, false)}, ${literal(connection, false)});
  RETURN NULL;
END
$fn$`,
      `DROP TRIGGER IF EXISTS ${trigger} ON ${table}`,
      `CREATE TRIGGER ${trigger} AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
      `CREATE TABLE IF NOT EXISTS ${tombstones} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection text NOT NULL,
  crm_id text NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
)`,
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${TOMBSTONES}_connection`)} ON ${tombstones} (connection, id)`,
      // The search_path of the install, not of whichever session deletes: an unqualified
      // tombstone table must not be looked for elsewhere (or the CRM's own deletes would fail).
      `CREATE OR REPLACE FUNCTION ${onDelete}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
  INSERT INTO ${tombstones} (connection, crm_id) VALUES (${literal(connection, false)}, OLD.${quoteIdent(source.idColumn)}::text);
  RETURN NULL;
END
$fn$`,
      `DROP TRIGGER IF EXISTS ${deleteTrigger} ON ${table}`,
      `CREATE TRIGGER ${deleteTrigger} AFTER DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${onDelete}()`,
    ],
    // The tombstone table stays: other connections may share it, and it may hold deletions not yet read.
    remove: [
      `DROP TRIGGER IF EXISTS ${trigger} ON ${table}`,
      `DROP FUNCTION IF EXISTS ${fn}()`,
      `DROP TRIGGER IF EXISTS ${deleteTrigger} ON ${table}`,
      `DROP FUNCTION IF EXISTS ${onDelete}()`,
    ],
  };
}

export interface ListenOptions extends ChangeFeedHandlers {
  url: string;
  /** The connections reading this database with `notify: true`; other payloads are ignored. */
  connections: readonly string[];
  /** First wait before reconnecting after a lost session, doubled up to 30 s. */
  retryMs?: number;
}

/**
 * LISTENs on one database for as long as it is open. Notifications sent while
 * the session was down are lost, so after every reconnect each connection is
 * reported changed once (a run that finds nothing new costs no API call).
 */
export function listenPostgres(opts: ListenOptions): ChangeFeed {
  const names = new Set(opts.connections);
  const firstRetryMs = opts.retryMs ?? 1000;
  let retryMs = firstRetryMs;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failing = false;
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });

  const connect = async (reconnect: boolean) => {
    const c = new pg.Client({ connectionString: opts.url, keepAlive: true });
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload !== undefined && names.has(msg.payload))
        opts.onChange(msg.payload);
    });
    c.on('error', () => {}); // 'end' follows and reconnects; the error itself is reported there.
    c.on('end', () => {
      if (!closed && client === c) retry(new Error(`LISTEN session to the CRM database ended`));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(CHANNEL)}`);
    } catch (err) {
      if (client === c) retry(err);
      void c.end().catch(() => {});
      return;
    }
    retryMs = firstRetryMs;
    failing = false;
    listening();
    if (reconnect) for (const name of names) opts.onChange(name);
  };
  const retry = (err: unknown) => {
    if (closed) return;
    if (!failing) opts.onError(err);
    failing = true;
    client = undefined;
    clearTimeout(timer);
    timer = setTimeout(() => void connect(true), retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
  void connect(false);

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
