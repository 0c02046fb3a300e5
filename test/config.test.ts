import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSahutKey, secretsOf } from '../src/config/index.ts';

const base = { SAHUT_API_KEY: 'sk_live_topsecret_123' };

describe('loadConfig', () => {
  it('applies defaults and treats empty variables as unset', () => {
    const config = loadConfig({ ...base, HTTP_PORT: '', WORKER_CONCURRENCY: '' });
    expect(config.http.port).toBe(3000);
    expect(config.worker.concurrency).toBe(8);
    expect(config.store).toEqual({ kind: 'sqlite', path: 'data/sahut-sync.sqlite' });
    expect(config.defaultRegion).toBe('ID');
    expect(Object.isFrozen(config.sahut)).toBe(true);
  });

  it('picks the PostgreSQL store when DATABASE_URL is set', () => {
    const config = loadConfig({ ...base, DATABASE_URL: 'postgres://u:pw@db:5432/x' });
    expect(config.store).toEqual({
      kind: 'postgres',
      url: 'postgres://u:pw@db:5432/x',
      schema: 'sahut_sync',
    });
  });

  it('names every bad variable with its fix and never echoes a value', () => {
    const err = catchError(() =>
      loadConfig({
        ...base,
        SAHUT_BASE_URL: 'ftp://sk_live_topsecret_123',
        HTTP_PORT: '70000',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/SAHUT_BASE_URL: .*set SAHUT_BASE_URL to: Base URL of the Sahut API/);
    expect(err.message).toMatch(/HTTP_PORT: is too big \(maximum 65535\)/);
    expect(err.message).toMatch(/LOG_LEVEL: expected one of fatal, error/);
    expect(err.message).not.toContain('sk_live_topsecret_123');
    expect(err.message).not.toContain('70000');
  });

  it('rejects an unknown phone region', () => {
    expect(() => loadConfig({ ...base, DEFAULT_PHONE_REGION: 'XX' })).toThrow(
      /DEFAULT_PHONE_REGION: unknown region/,
    );
  });

  it('requires the Sahut key only where Sahut is called', () => {
    const config = loadConfig({});
    expect(() => requireSahutKey(config)).toThrow(/SAHUT_API_KEY: is required/);
    expect(requireSahutKey(loadConfig(base))).toBe(base.SAHUT_API_KEY);
  });

  it('lists every secret for the log scrubber', () => {
    const config = loadConfig({
      ...base,
      DATABASE_URL: 'postgres://u:db%40pass@db/x',
      REDIS_URL: 'redis://:redispass@r:6379',
      DASHBOARD_PASSWORD: 'dash-password',
    });
    expect(secretsOf(config).sort()).toEqual([
      'dash-password',
      'db@pass',
      'redispass',
      'sk_live_topsecret_123',
    ]);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
