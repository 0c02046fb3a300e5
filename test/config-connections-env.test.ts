import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConnections, referencedValues } from '../src/config/index.ts';
import { MAPPING_YAML } from './helpers/engine.ts';

describe('connections file: ${NAME} from the environment', () => {
  let dir: string;
  let path: string;
  const text = [
    'connections:',
    '  shop:',
    '    source: { type: mysql, url: "mysql://sync:${CRM_DB_PASSWORD}@crm-db:3306/shop", table: customers }',
    '    mapping: mapping.yaml',
  ].join('\n');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sahut-sync-env-'));
    path = join(dir, 'sahut-sync.yaml');
    await writeFile(join(dir, 'mapping.yaml'), MAPPING_YAML);
    await writeFile(path, text);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('puts the variable into the value, so the password stays out of the file', () => {
    const [shop] = loadConnections(path, { CRM_DB_PASSWORD: 's3cret-pw' });
    expect(shop?.source).toMatchObject({ type: 'mysql', url: 'mysql://sync:s3cret-pw@crm-db:3306/shop' });
    // …and the logger gets the value as a secret to scrub.
    expect(referencedValues(text, { CRM_DB_PASSWORD: 's3cret-pw' })).toEqual(['s3cret-pw']);
  });

  it('stops start-up naming the place and the variable when it is not set', () => {
    expect(() => loadConnections(path, {})).toThrow(ConfigError);
    expect(() => loadConnections(path, {})).toThrow(
      /connections\.shop\.source\.url: \$\{CRM_DB_PASSWORD\} is not set — set CRM_DB_PASSWORD in the environment or \.env/,
    );
  });
});
