import { describe, expect, it } from 'vitest';
import { ConfigError, hashTagOf, loadConfig, secretsOf } from '../src/config/index.ts';

const base = { SAHUT_API_KEY: 'sk_live_topsecret_123' };

describe('Redis settings', () => {
  it('a single node by default, from REDIS_URL, prefix as given', () => {
    const { redis } = loadConfig(base);
    expect(redis).toEqual({
      connection: { mode: 'single', url: 'redis://127.0.0.1:6379' },
      prefix: 'sahut-sync',
    });
  });

  it('Sentinel mode from REDIS_SENTINELS, with the master name, passwords, TLS and NAT map', () => {
    const config = loadConfig({
      ...base,
      REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379,[fd00::3]:26379',
      REDIS_SENTINEL_MASTER: 'sync',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
      REDIS_PASSWORD: 'data-pass',
      REDIS_TLS: 'true',
      REDIS_NAT_MAP: '10.0.0.9:6379=redis.example:16379',
    });
    expect(config.redis).toEqual({
      connection: {
        mode: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
          { host: 'fd00::3', port: 26379 },
        ],
        master: 'sync',
        sentinelPassword: 'sentinel-pass',
        username: undefined,
        password: 'data-pass',
        tls: true,
        natMap: { '10.0.0.9:6379': { host: 'redis.example', port: 16379 } },
      },
      prefix: 'sahut-sync',
    });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['sentinel-pass', 'data-pass']));
  });

  it('Cluster mode from REDIS_CLUSTER_NODES gives the prefix a hash tag, or keeps the one it has', () => {
    const cluster = (prefix?: string) =>
      loadConfig({
        ...base,
        REDIS_CLUSTER_NODES: 'a:7000,b:7001',
        ...(prefix ? { QUEUE_PREFIX: prefix } : {}),
      }).redis;
    expect(cluster().connection).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: false,
    });
    expect(cluster().prefix).toBe('{sahut-sync}');
    expect(cluster('acme').prefix).toBe('{acme}');
    expect(cluster('{acme}').prefix).toBe('{acme}');
    expect(cluster('sync-{acme}-prod').prefix).toBe('sync-{acme}-prod');
    expect(() => cluster('acme{}')).toThrow(/QUEUE_PREFIX: has braces but no hash tag .*\{sahut-sync\}/);
    expect(hashTagOf('{sahut-sync}:records:wait')).toBe('sahut-sync');
    expect(hashTagOf('a{}{b}')).toBeUndefined();
  });

  it('names the setting and the fix, never the value', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(attempt({ REDIS_SENTINELS: 'secret-host' })).toMatch(
      /REDIS_SENTINELS: expected host:port\[,host:port…\] — set REDIS_SENTINELS to: Sentinel mode/,
    );
    expect(attempt({ REDIS_SENTINELS: 'secret-host' })).not.toContain('secret-host');
    expect(attempt({ REDIS_CLUSTER_NODES: 'a:70000' })).toMatch(/REDIS_CLUSTER_NODES: expected host:port/);
    expect(attempt({ REDIS_NAT_MAP: 'a:1', REDIS_CLUSTER_NODES: 'a:1' })).toMatch(
      /REDIS_NAT_MAP: expected announced-host:port=reachable-host:port/,
    );
    expect(attempt({ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' })).toMatch(
      /REDIS_SENTINELS, REDIS_CLUSTER_NODES: both set/,
    );
    expect(attempt({ REDIS_PASSWORD: 'pw-on-a-single-node' })).toMatch(
      /REDIS_PASSWORD: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES — a single node takes .* in REDIS_URL/,
    );
    expect(attempt({ REDIS_PASSWORD: 'pw-on-a-single-node' })).not.toContain('pw-on-a-single-node');
  });
});
