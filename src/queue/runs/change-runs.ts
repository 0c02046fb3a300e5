import type { Connection } from '../../config/index.ts';
import {
  type ChangeFeed,
  createMysqlPool,
  listenPostgres,
  type MysqlSourceConfig,
  pollMysql,
} from '../../crm/index.ts';
import type { Logger } from '../../log/index.ts';
import { enqueueChangeRun, type RunQueue } from './runs.ts';

export interface ChangeRunOptions {
  /** A change's run starts this long after it; changes meanwhile join the run. 2 s unless set. */
  debounceMs?: number;
  /** How often a MySQL/MariaDB change log is polled. 2 s unless set. */
  pollIntervalMs?: number;
  /** Relative TLS files of MySQL sources are resolved against it (the connections file's folder). */
  baseDir: string;
}

interface Group {
  key: string;
  names: string[];
  start(): ChangeFeed;
}

/**
 * Watches the CRM tables of every connection with `source.notify: true` and
 * enqueues a debounced crm-to-sahut run when one changes: LISTEN on each
 * PostgreSQL database, one poller per MySQL/MariaDB database. `apply` is
 * called again whenever the connections file was re-read; only feeds whose
 * settings changed are restarted. The cron schedule stays the safety net.
 */
export function createChangeRuns(rt: RunQueue, log: Logger, opts: ChangeRunOptions) {
  const debounceMs = opts.debounceMs ?? 2000;
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const running = new Map<string, ChangeFeed>();

  const handlers = (what: string) => ({
    onChange(connection: string) {
      log.debug({ connection }, 'CRM change seen');
      enqueueChangeRun(rt, connection, debounceMs).catch((err) =>
        log.error({ err, connection }, 'could not enqueue the run of a CRM change'),
      );
    },
    onError(err: unknown) {
      log.warn({ err, feed: what }, 'watching CRM changes failed; retrying (scheduled runs still sync)');
    },
  });

  function groups(connections: readonly Connection[]): Group[] {
    const pg = new Map<string, string[]>();
    const my = new Map<string, { source: MysqlSourceConfig; names: string[] }>();
    const storeUrl = rt.config.store.kind === 'postgres' ? rt.config.store.url : undefined;
    for (const c of connections) {
      if (c.source.type === 'file' || c.source.type === 'hubspot' || !c.source.notify) continue;
      if (!c.directions.includes('crm-to-sahut')) {
        log.warn(
          { connection: c.name },
          'source.notify is set but the connection does not sync crm-to-sahut',
        );
        continue;
      }
      if (c.source.type === 'postgres') {
        const url = c.source.url ?? storeUrl;
        if (url === undefined) {
          log.error(
            { connection: c.name },
            'source.notify needs a PostgreSQL URL: set source.url or DATABASE_URL',
          );
          continue;
        }
        pg.set(url, [...(pg.get(url) ?? []), c.name]);
      } else {
        const { url, database, tls, pool } = c.source;
        const key = JSON.stringify([url, database, tls, pool]);
        const group = my.get(key) ?? { source: c.source, names: [] };
        my.set(key, { ...group, names: [...group.names, c.name] });
      }
    }
    return [
      ...[...pg].map(([url, names]) => ({
        key: JSON.stringify(['pg', url, names]),
        names,
        start: () => listenPostgres({ url, connections: names, ...handlers(`postgres ${names.join(', ')}`) }),
      })),
      ...[...my.values()].map(({ source, names }) => ({
        key: JSON.stringify(['mysql', source.url, source.database, source.tls, source.pool, names]),
        names,
        start: () => {
          const pool = createMysqlPool(source, opts.baseDir);
          const feed = pollMysql({
            pool,
            database: source.database,
            connections: names,
            intervalMs: pollIntervalMs,
            ...handlers(`mysql ${names.join(', ')}`),
          });
          return { ready: feed.ready, close: () => feed.close().finally(() => pool.end()) };
        },
      })),
    ];
  }

  return {
    /** Starts and stops feeds to match the connections. */
    async apply(connections: readonly Connection[]): Promise<void> {
      const wanted = groups(connections);
      const keys = new Set(wanted.map((g) => g.key));
      for (const [key, feed] of running) {
        if (keys.has(key)) continue;
        running.delete(key);
        await feed.close();
      }
      for (const group of wanted) {
        if (running.has(group.key)) continue;
        const feed = group.start();
        running.set(group.key, feed);
        void feed.ready.then(() =>
          log.info({ connections: group.names, debounceMs }, 'watching CRM changes'),
        );
      }
    },
    /** Resolves once every feed watches (tests wait on it before changing a table). */
    async ready(): Promise<void> {
      await Promise.all([...running.values()].map((feed) => feed.ready));
    },
    async close(): Promise<void> {
      const feeds = [...running.values()];
      running.clear();
      await Promise.all(feeds.map((feed) => feed.close()));
    },
  };
}
