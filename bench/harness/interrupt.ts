const closers = new Set<() => Promise<void>>();

async function closeAllAndExit(signal: NodeJS.Signals) {
  // Work cut off mid-flight rejects as its connections close; that must not end cleanup early.
  process.on('unhandledRejection', () => {});
  for (const close of closers) await close().catch(() => {});
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/**
 * Runs `close` if the bench is interrupted (Ctrl-C, SIGTERM) before it is
 * dropped, so no Redis keys, temp files or servers outlive the bench.
 * Returns the function that drops it.
 */
export function closeOnInterrupt(close: () => Promise<void>): () => void {
  if (closers.size === 0) {
    process.once('SIGINT', closeAllAndExit);
    process.once('SIGTERM', closeAllAndExit);
  }
  closers.add(close);
  return () => {
    closers.delete(close);
    if (closers.size === 0) {
      process.off('SIGINT', closeAllAndExit);
      process.off('SIGTERM', closeAllAndExit);
    }
  };
}
