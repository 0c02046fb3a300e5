type Pending<A, R> = { arg: A; resolve: (r: R) => void; reject: (err: unknown) => void };

/**
 * Calls made in the same turn of the event loop, gathered into one call of
 * `many` (one round trip for the records of a batch that reach the same step
 * together); each caller gets its own answer, or the shared error.
 */
export function coalesce<A, R>(many: (args: A[]) => Promise<R[]>): (arg: A) => Promise<R> {
  let waiting: Pending<A, R>[] = [];
  const run = async () => {
    const batch = waiting;
    waiting = [];
    try {
      const results = await many(batch.map((p) => p.arg));
      for (const [i, p] of batch.entries()) p.resolve(results[i] as R);
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (waiting.push({ arg, resolve, reject }) === 1) setImmediate(run);
    });
}
