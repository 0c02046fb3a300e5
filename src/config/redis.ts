import { z } from 'zod';
import { ConfigError } from './errors.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** How to reach Redis: the three shapes sahut-sync supports. Every connection is built from this. */
export type RedisSettings =
  | { mode: 'single'; url: string }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      master: string;
      sentinelPassword: string | undefined;
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
      natMap: Record<string, HostPort> | undefined;
    }
  | {
      mode: 'cluster';
      nodes: HostPort[];
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
      natMap: Record<string, HostPort> | undefined;
    };

// host:port, host:port … with IPv6 hosts in brackets.
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

const toHostPort = (s: string): HostPort | undefined => {
  const m = ADDRESS.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
};

/** `host:port,host:port` → addresses; the message never quotes the value. */
export const addressList = () =>
  z.string().transform((value, ctx) => {
    const items = value.split(',').filter((s) => s.trim() !== '');
    const list = items.map(toHostPort);
    if (list.length === 0 || list.some((a) => a === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected host:port[,host:port…]' });
      return z.NEVER;
    }
    return list as HostPort[];
  });

/** `announced-host:port=reachable-host:port,…` → ioredis natMap. */
export const natMapList = () =>
  z.string().transform((value, ctx) => {
    const map: Record<string, HostPort> = {};
    for (const item of value.split(',').filter((s) => s.trim() !== '')) {
      const [from = '', to = '', ...extra] = item.split('=');
      const source = toHostPort(from);
      const target = toHostPort(to);
      if (!source || !target || extra.length) {
        ctx.addIssue({ code: 'custom', message: 'expected announced-host:port=reachable-host:port[,…]' });
        return z.NEVER;
      }
      map[`${source.host}:${source.port}`] = target;
    }
    return map;
  });

export interface RedisEnv {
  REDIS_URL: string;
  REDIS_SENTINELS?: HostPort[] | undefined;
  REDIS_SENTINEL_MASTER: string;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_TLS: boolean;
  REDIS_NAT_MAP?: Record<string, HostPort> | undefined;
  QUEUE_PREFIX: string;
}

/** Picks the shape from which variables are set, and refuses settings that would be ignored. */
export function redisSettings(e: RedisEnv): { settings: RedisSettings; prefix: string } {
  const bad = (message: string) => new ConfigError(`Invalid configuration in the environment:\n  ${message}`);
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES)
    throw bad('REDIS_SENTINELS, REDIS_CLUSTER_NODES: both set — set only the one of your Redis deployment');
  const shared = {
    username: e.REDIS_USERNAME,
    password: e.REDIS_PASSWORD,
    tls: e.REDIS_TLS,
    natMap: e.REDIS_NAT_MAP,
  };
  if (e.REDIS_SENTINELS) {
    const settings: RedisSettings = {
      mode: 'sentinel',
      sentinels: e.REDIS_SENTINELS,
      master: e.REDIS_SENTINEL_MASTER,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
      ...shared,
    };
    return { settings, prefix: e.QUEUE_PREFIX };
  }
  if (e.REDIS_CLUSTER_NODES) {
    const settings: RedisSettings = { mode: 'cluster', nodes: e.REDIS_CLUSTER_NODES, ...shared };
    return { settings, prefix: clusterPrefix(e.QUEUE_PREFIX) };
  }
  const unused = Object.entries({
    REDIS_USERNAME: e.REDIS_USERNAME !== undefined,
    REDIS_PASSWORD: e.REDIS_PASSWORD !== undefined,
    REDIS_SENTINEL_PASSWORD: e.REDIS_SENTINEL_PASSWORD !== undefined,
    REDIS_TLS: e.REDIS_TLS,
    REDIS_NAT_MAP: e.REDIS_NAT_MAP !== undefined,
  })
    .filter(([, set]) => set)
    .map(([key]) => key);
  if (unused.length)
    throw bad(
      `${unused.join(', ')}: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES — ` +
        'a single node takes its user, password and TLS in REDIS_URL (rediss://user:password@host:port)',
    );
  return { settings: { mode: 'single', url: e.REDIS_URL }, prefix: e.QUEUE_PREFIX };
}

/**
 * The part of a key Redis Cluster hashes: between the first `{` and the next
 * `}`, when not empty (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * On Cluster every key of a deployment must hash to one slot (a flow and its
 * Lua scripts touch several keys at once), so the prefix carries a hash tag:
 * `sahut-sync` becomes `{sahut-sync}`; a prefix with braces but no tag is refused.
 */
export function clusterPrefix(prefix: string): string {
  if (hashTagOf(prefix) !== undefined) return prefix;
  if (!/[{}]/.test(prefix)) return `{${prefix}}`;
  throw new ConfigError(
    'Invalid configuration in the environment:\n  QUEUE_PREFIX: has braces but no hash tag — on Redis Cluster ' +
      'use a prefix such as {sahut-sync} (or one without braces, which gets them)',
  );
}
