import type { Pool, PoolClient } from 'pg';

/**
 * PostgreSQL plumbing below both the store and the CRM connector, which know
 * nothing of each other: one transaction on one pooled connection.
 *
 * Runs `fn` inside BEGIN … COMMIT, once: a caller that wants transient errors
 * retried wraps the whole call (the store does, the CRM write-back does not).
 * A connection whose ROLLBACK failed is in an unknown state, so it is
 * destroyed instead of pooled.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
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
}
