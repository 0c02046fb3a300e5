import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretsFor } from '../src/cli/context.ts';
import { loadConfig } from '../src/config/index.ts';
import { runDoctor } from '../src/doctor/index.ts';
import { buildHubspotSandbox, type HubspotSandbox } from '../src/hubspot-sandbox/index.ts';
import { runCli } from './helpers/cli.ts';
import { API_KEY, REDIS_URL } from './helpers/env.ts';
import { HUBSPOT_TOKEN } from './helpers/hubspot.ts';

let dir: string;
let sandbox: HubspotSandbox | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sahut-doctor-hubspot-'));
});
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function doctor(sandboxOpts: Partial<Parameters<typeof buildHubspotSandbox>[0]>, source: string) {
  sandbox = await buildHubspotSandbox({ token: HUBSPOT_TOKEN, ...sandboxOpts });
  const baseUrl = await sandbox.listen();
  await writeFile(
    join(dir, 'mapping.yaml'),
    'fields:\n  name: { from: firstname }\n  phone: { from: phone }\n  email: { from: email }\n',
  );
  await writeFile(
    join(dir, 'connections.yaml'),
    `connections:\n  hub:\n    source: { type: hubspot, token: "\${HUBSPOT_TOKEN}", baseUrl: "${baseUrl}"${source} }\n    mapping: mapping.yaml\n    directions: [crm-to-sahut, sahut-to-crm]\n`,
  );
  const checks = await runDoctor(
    {
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      SQLITE_PATH: join(dir, 'store.sqlite'),
      SYNC_CONFIG: join(dir, 'connections.yaml'),
      HUBSPOT_TOKEN,
      LOG_LEVEL: 'silent',
    },
    'hub',
  );
  const mine = checks.filter((c) => c.group === 'connection hub');
  expect(JSON.stringify(checks)).not.toContain(HUBSPOT_TOKEN);
  return (name: string) => mine.find((c) => c.name === name);
}

describe('sahut-sync doctor: a hubspot connection', () => {
  it("passes on a token with the scopes and limits the connection needs, naming today's remaining calls", async () => {
    const check = await doctor({ limits: { tenSecondly: 100, daily: 250_000 } }, '');
    expect(check('reachable')).toMatchObject({ status: 'ok' });
    expect(check('columns')).toMatchObject({ status: 'ok' });
    expect(check('token scopes')).toMatchObject({ status: 'ok' });
    expect(check('burst limit')).toMatchObject({ status: 'ok' });
    expect(check('daily limit')?.detail).toMatch(/^2499\d\d of 250000 calls left today/);
    expect(check('webhooks')).toMatchObject({ status: 'warn' });
  });

  it('fails a token without the write scope for write-back, a burst set above what HubSpot allows, and a daily budget at the reserve', async () => {
    const check = await doctor(
      {
        scopes: ['crm.objects.contacts.read', 'crm.schemas.contacts.read'],
        limits: { tenSecondly: 100, daily: 1002 },
      },
      ', limits: { burstPer10s: 190 }',
    );
    expect(check('token scopes')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('crm.objects.contacts.write'),
    });
    expect(check('burst limit')).toMatchObject({ status: 'fail', fix: 'set source.limits.burstPer10s: 100' });
    expect(check('daily limit')).toMatchObject({ status: 'fail' });
  });

  it('names the missing schema scope when the properties cannot be read', async () => {
    const check = await doctor({ scopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write'] }, '');
    expect(check('reachable')).toMatchObject({ status: 'fail', detail: expect.stringContaining('403') });
    expect(check('token scopes')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('crm.schemas.contacts.read'),
    });
  });
});

describe('sahut-sync init --hubspot-token', () => {
  it('writes a connection that reads the token from ${HUBSPOT_TOKEN} and a mapping guessed from the properties, which doctor then passes', async () => {
    sandbox = await buildHubspotSandbox({ token: HUBSPOT_TOKEN, customProperties: ['tags'] });
    sandbox.seed(
      Array.from({ length: 20 }, (_, i) => ({
        properties: {
          firstname: `Ana ${i}`,
          lastname: 'Putri',
          phone: `08123456${String(i).padStart(4, '0')}`,
          email: `ana${i}@x.io`,
          company: 'PT Maju',
          tags: 'vip;lead',
        },
      })),
    );
    const baseUrl = await sandbox.listen();
    const env = {
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      SQLITE_PATH: join(dir, 'store.sqlite'),
      SYNC_CONFIG: join(dir, 'connections.yaml'),
      HUBSPOT_TOKEN,
      LOG_LEVEL: 'silent',
    };
    const init = await runCli(['init', '--hubspot-token', '--hubspot-url', baseUrl], env);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/name +← firstname \+ lastname/);
    expect(init.output).toMatch(/phone +← phone /);
    expect(init.output).not.toMatch(/hs_calculated/);
    const written = await readFile(join(dir, 'connections.yaml'), 'utf8');
    expect(written).toContain('token: ${HUBSPOT_TOKEN}');
    expect(written + init.output).not.toContain(HUBSPOT_TOKEN);
    const checks = (await runDoctor(env, 'hubspot')).filter((c) => c.group === 'connection hubspot');
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  }, 60_000);
});

describe('secrets of a hubspot source', () => {
  it('scrubs a token and client secret written into the connections file as they are', async () => {
    await writeFile(join(dir, 'mapping.yaml'), 'fields:\n  email: { from: email }\n');
    await writeFile(
      join(dir, 'connections.yaml'),
      `connections:\n  hub:\n    source: { type: hubspot, token: ${HUBSPOT_TOKEN}, webhook: { clientSecret: literal-client-secret } }\n    mapping: mapping.yaml\n`,
    );
    const env = {
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      SQLITE_PATH: join(dir, 's.sqlite'),
      SYNC_CONFIG: join(dir, 'connections.yaml'),
    };
    expect(secretsFor(loadConfig(env), env)).toEqual(
      expect.arrayContaining([HUBSPOT_TOKEN, 'literal-client-secret']),
    );
  });
});
