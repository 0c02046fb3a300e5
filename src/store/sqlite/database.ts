import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export interface SqliteOptions {
  path: string;
  /** How long a writer waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * One `node:sqlite` connection with a prepared-statement cache. The driver is
 * synchronous, so nothing else runs on this connection while a transaction is
 * open: callers must not await inside `transaction`.
 */
export class SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    // WAL lets readers run beside the single writer; NORMAL is durable across app crashes in WAL mode.
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Prepared on first use (tables may not exist before `migrate`), then reused. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies;
   * a deferred transaction that upgrades to writing fails at once with SQLITE_BUSY.
   */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Timestamps are stored as ISO-8601 UTC text, which sorts and compares chronologically. */
export const toSqlTime = (date: Date): string => date.toISOString();
export const nowSqlTime = (): string => new Date().toISOString();
