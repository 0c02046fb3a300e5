import type { Pool, PoolClient, QueryResult } from 'pg';
import { retryTransient } from './transient.ts';

/** What every statement needs: the pool and the schema name, identifier-quoted once at construction. */
export interface PgContext {
  pool: Pool;
  /** Already quoted (`"sahut_sync"`): interpolate it as is, never quote it again. */
  schema: string;
  /** The bare name, only ever bound as a parameter value. */
  schemaName: string;
}

/** One statement on the pool, retried on transient errors (see `retryTransient`). */
export function query(ctx: PgContext, text: string, values?: unknown[]): Promise<QueryResult> {
  return retryTransient(() => ctx.pool.query(text, values));
}

/**
 * Runs `fn` on one pooled connection inside BEGIN … COMMIT, the whole
 * transaction retried on transient errors. A connection whose ROLLBACK failed
 * is in an unknown state, so it is destroyed instead of pooled.
 */
export function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return retryTransient(async () => {
    const client = await pool.connect();
    let broken = false;
    // A connection the server drops mid-transaction also emits `error` on the client, which
    // would crash the process unheard: the pending query rejects with it anyway.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A broken connection may still report its end after it is gone: it keeps the listener.
      if (!broken) client.off('error', ignore);
      client.release(broken);
    }
  });
}
