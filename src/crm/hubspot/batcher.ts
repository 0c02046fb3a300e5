interface Pending<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/** Settles each input of a batch: a value, or an error for that input alone. */
export type BatchRunner<I, O> = (inputs: I[]) => Promise<(O | Error)[]>;

/**
 * Gathers the calls made in the same turn of the event loop (the records of a batch, side by
 * side) into batches of at most `max`, so 100 write-backs cost one batch call, not 100.
 * `key` keeps two calls on one record out of the same batch: the later one waits for the next.
 */
export function createBatcher<I, O>(max: number, run: BatchRunner<I, O>, key: (input: I) => string) {
  let queue: Pending<I, O>[] = [];
  let scheduled = false;

  async function flush() {
    scheduled = false;
    const taken = queue;
    queue = [];
    const seen = new Set<string>();
    const now: Pending<I, O>[] = [];
    for (const p of taken) {
      const k = key(p.input);
      if (seen.has(k) || now.length >= max) queue.push(p);
      else {
        seen.add(k);
        now.push(p);
      }
    }
    if (queue.length > 0) schedule();
    try {
      const results = await run(now.map((p) => p.input));
      for (const [i, p] of now.entries()) {
        const r = results[i];
        if (r instanceof Error) p.reject(r);
        else p.resolve(r as O);
      }
    } catch (err) {
      for (const p of now) p.reject(err);
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return (input: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      schedule();
    });
}
