import type { Pool, PoolClient } from 'pg';

const ignore = () => {};
const guarded = new WeakSet<Pool>();

/**
 * PostgreSQL plumbing below both the store and the CRM connector, which know
 * nothing of each other.
 *
 * Keeps a connection the server ends (restart, `pg_terminate_backend`) from
 * crashing the process. pg emits `error` on a client ended between queries,
 * and pg-pool takes its own listener off a client as it hands it out: a
 * backend ended right after its start-up (both messages in one read) errors
 * before the caller can add one. So every client gets a listener at birth.
 * The failure still reaches the caller: its next query on that client rejects,
 * and the pool drops the client. Call it before the pool's first query; once
 * is enough.
 */
export function guardPool(pool: Pool): Pool {
  if (guarded.has(pool)) return pool;
  guarded.add(pool);
  pool.on('connect', (client) => client.on('error', ignore));
  // An idle connection that dies is dropped by the pool and emitted here.
  if (pool.listenerCount('error') === 0) pool.on('error', ignore);
  return pool;
}

/**
 * Runs `fn` inside BEGIN … COMMIT on one connection of a guarded pool, once: a
 * caller that wants transient errors retried wraps the whole call (the store
 * does, the CRM write-back does not). A connection whose ROLLBACK failed is in
 * an unknown state, so it is destroyed instead of pooled.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
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
    client.release(broken);
  }
}
