import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.ts';
import { buildServer } from '../src/server/index.ts';
import { basic, createHarness, type Harness, PASSWORD, TOKEN } from './server-fixtures.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const PROTECTED = [
  '/admin/queues',
  '/admin/queues/api/queues',
  '/api/runs',
  '/api/audit',
  '/audit',
  '/runs',
  '/',
  '/attention',
  '/api/attention',
  '/api/sync-health',
];

describe('dashboard authentication', () => {
  it('basic: 401 with a challenge without or with wrong credentials, 200 with the right ones', async () => {
    harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
    const { url } = await harness.start();
    for (const path of PROTECTED) {
      const anonymous = await fetch(url + path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="sahut-sync"/);
      expect(await anonymous.json()).toEqual({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'Authentication required',
      });
      for (const wrong of [basic('admin', 'not-the-password'), basic('root', PASSWORD), `Bearer ${TOKEN}`]) {
        const res = await fetch(url + path, { headers: { authorization: wrong } });
        expect(res.status, `${path} ${wrong}`).toBe(401);
        await res.body?.cancel();
      }
      const ok = await fetch(url + path, { headers: { authorization: basic() } });
      expect(ok.status, path).toBe(200);
      await ok.body?.cancel();
    }
    const board = await fetch(`${url}/admin/queues`, { headers: { authorization: basic() } });
    expect(board.headers.get('content-type')).toMatch(/text\/html/);
    expect(await board.text()).toContain('<base href="/admin/queues/"');
  });

  it('bearer: only the exact token opens the dashboard', async () => {
    harness = await createHarness({ DASHBOARD_AUTH: 'bearer' });
    const { url } = await harness.start();
    for (const path of PROTECTED) {
      for (const header of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, basic(), TOKEN]) {
        const res = await fetch(url + path, { headers: header ? { authorization: header } : {} });
        expect(res.status, `${path} ${header}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="sahut-sync"');
        await res.body?.cancel();
      }
      const ok = await fetch(url + path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status, path).toBe(200);
      await ok.body?.cancel();
    }
  });

  it('leaves probes and metrics open and never echoes credentials', async () => {
    harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
    const { url } = await harness.start();
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      await res.body?.cancel();
    }
    const wrong = await fetch(`${url}/api/runs`, {
      headers: { authorization: basic('admin', 'guess-Pw-123') },
    });
    const body = await wrong.text();
    expect(wrong.status).toBe(401);
    const logs = harness.logs.join('');
    for (const secret of ['guess-Pw-123', PASSWORD, Buffer.from(`admin:${PASSWORD}`).toString('base64')]) {
      expect(body).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });

  it('none: allowed on loopback only', async () => {
    harness = await createHarness({ DASHBOARD_AUTH: 'none' });
    const { url } = await harness.start();
    const res = await fetch(`${url}/api/runs`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runs: [] });
  });
});

describe('refusing to build without credentials', () => {
  const build = async (env: Record<string, string>) => {
    harness ??= await createHarness();
    return buildServer({ ...harness.deps, config: loadConfig({ ...env, QUEUE_PREFIX: harness.prefix }) });
  };

  it('basic without DASHBOARD_PASSWORD', async () => {
    const err = await build({ DASHBOARD_AUTH: 'basic', DASHBOARD_TOKEN: TOKEN }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /DASHBOARD_AUTH=basic needs DASHBOARD_PASSWORD: set DASHBOARD_PASSWORD/,
    );
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it('bearer without DASHBOARD_TOKEN', async () => {
    const err = await build({ DASHBOARD_AUTH: 'bearer', DASHBOARD_PASSWORD: PASSWORD }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /DASHBOARD_AUTH=bearer needs DASHBOARD_TOKEN: set DASHBOARD_TOKEN/,
    );
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  it('none on a public address', async () => {
    for (const host of ['0.0.0.0', '10.1.2.3', '::']) {
      const err = await build({ DASHBOARD_AUTH: 'none', HTTP_HOST: host }).catch((e: unknown) => e);
      expect(err, host).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(
        /DASHBOARD_AUTH=none is only allowed on a loopback address.*HTTP_HOST/,
      );
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      const app = await build({ DASHBOARD_AUTH: 'none', HTTP_HOST: host });
      expect((await app.inject('/api/runs')).statusCode, host).toBe(200);
      await app.close();
    }
  });

  it('a worker (no dashboard) needs no dashboard credentials', async () => {
    harness = await createHarness();
    const app = await buildServer({
      ...harness.deps,
      config: loadConfig({ DASHBOARD_AUTH: 'basic', HTTP_HOST: '0.0.0.0', QUEUE_PREFIX: harness.prefix }),
      dashboard: false,
    });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/admin/queues')).statusCode).toBe(404);
    expect((await app.inject('/api/runs')).statusCode).toBe(404);
    await app.close();
  });
});
