import { createHash } from 'node:crypto';

/** The PostgreSQL channel every sahut-sync trigger notifies; the payload is the connection's name. */
export const CHANNEL = 'sahut_sync';
/** The MariaDB/MySQL change-log table, one per database, shared by the connections reading it. */
export const CHANGE_LOG = 'sahut_sync_changes';
/** The tombstone table `crm install-trigger` makes beside the CRM table: ids of deleted rows, per connection. */
export const TOMBSTONES = 'sahut_sync_deletions';

/** A trigger or function name within both servers' 63/64-byte limits; long names keep a hash, so they stay distinct. */
export function objectName(prefix: string, connection: string, suffix = ''): string {
  const name = `${prefix}${connection}${suffix}`;
  if (name.length <= 63) return name;
  const hash = createHash('sha1').update(connection).digest('hex').slice(0, 8);
  return `${prefix}${connection.slice(0, 63 - prefix.length - suffix.length - 9)}_${hash}${suffix}`;
}

/** A SQL string literal (standard quoting; backslashes doubled for MySQL's default mode). */
export function literal(value: string, backslashes: boolean): string {
  const escaped = backslashes ? value.replaceAll('\\', '\\\\') : value;
  return `'${escaped.replaceAll("'", "''")}'`;
}

/** What a change feed reports to, and how it says it is in trouble. */
export interface ChangeFeedHandlers {
  /** A change was committed in the table of this connection. */
  onChange(connection: string): void;
  /** Called once per failure streak (not on every retry). */
  onError(err: unknown): void;
}

export interface ChangeFeed {
  /** Resolves once changes are being watched (the first LISTEN or poll succeeded). */
  ready: Promise<void>;
  close(): Promise<void>;
}
