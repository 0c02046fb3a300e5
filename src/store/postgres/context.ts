import type { Pool, PoolClient, QueryResult } from 'pg';
import { inTransaction as onePgTransaction } from '../../pg/index.ts';
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
 * Runs `fn` on one pooled connection inside BEGIN … COMMIT (see `inTransaction`
 * in src/pg), the whole transaction retried on transient errors.
 */
export function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return retryTransient(() => onePgTransaction(pool, fn));
}
