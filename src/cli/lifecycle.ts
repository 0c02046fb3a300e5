import type { Logger } from '../log/index.ts';

type Release = () => Promise<unknown> | unknown;

/**
 * Resources released in reverse order of acquisition on SIGTERM/SIGINT or on
 * `release()`. An unref'd watchdog exits if a forgotten handle keeps the
 * process alive after everything was released.
 */
export function createLifecycle(log: Logger) {
  const releasers: Release[] = [];
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      for (const fn of releasers.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.error({ err }, 'error while shutting down');
        }
      }
      setTimeout(() => {
        log.warn('open handles kept the process alive after shutdown; exiting');
        process.exit(process.exitCode ?? 0);
      }, 5_000).unref();
    })();
    return released;
  };
  return {
    add(fn: Release) {
      releasers.push(fn);
    },
    release,
    /** Resolves when a signal arrived and everything was released. */
    untilSignal(): Promise<NodeJS.Signals> {
      return new Promise((resolve) => {
        const handler = (signal: NodeJS.Signals) => {
          log.info({ signal }, 'shutting down');
          release().then(() => resolve(signal));
        };
        process.once('SIGTERM', handler);
        process.once('SIGINT', handler);
      });
    },
  };
}
