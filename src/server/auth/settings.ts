import { isIP } from 'node:net';
import { type Config, ConfigError } from '../../config/index.ts';

export type AuthSettings =
  | { mode: 'basic'; user: string; password: string }
  | { mode: 'bearer'; token: string }
  | { mode: 'none' };

/**
 * The dashboard's credentials, checked before anything listens: a dashboard
 * without them would expose Redis (retry, remove, pause) to whoever can reach
 * the port. Messages name the variables and the fix, never a value.
 */
export function authSettings(dashboard: Config['dashboard'], host: string): AuthSettings {
  switch (dashboard.auth) {
    case 'basic':
      if (!dashboard.password) {
        throw new ConfigError(
          'DASHBOARD_AUTH=basic needs DASHBOARD_PASSWORD: set DASHBOARD_PASSWORD (at least 8 characters), ' +
            'or use DASHBOARD_AUTH=bearer with DASHBOARD_TOKEN',
        );
      }
      return { mode: 'basic', user: dashboard.user, password: dashboard.password };
    case 'bearer':
      if (!dashboard.token) {
        throw new ConfigError(
          'DASHBOARD_AUTH=bearer needs DASHBOARD_TOKEN: set DASHBOARD_TOKEN (at least 16 characters), ' +
            'or use DASHBOARD_AUTH=basic with DASHBOARD_PASSWORD',
        );
      }
      return { mode: 'bearer', token: dashboard.token };
    case 'none':
      if (!isLoopback(host)) {
        throw new ConfigError(
          `DASHBOARD_AUTH=none is only allowed on a loopback address, but HTTP_HOST is ${host}: ` +
            'set HTTP_HOST=127.0.0.1, or set DASHBOARD_AUTH=basic with DASHBOARD_PASSWORD ' +
            '(or DASHBOARD_AUTH=bearer with DASHBOARD_TOKEN)',
        );
      }
      return { mode: 'none' };
  }
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}
