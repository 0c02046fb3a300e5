import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface EnvFile {
  path: string;
  dashboardPort: number;
  dashboardUser: string;
  dashboardPassword: string;
  /** Every password .env.example asks the user to change, with its new value; none may reach the image. */
  secrets: Record<string, string>;
}

/** A TCP port nobody listens on now, for the dashboard to be published on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * `.env` made as the README says: a copy of .env.example with every password
 * changed (to a random one), and the dashboard on a free port so the test
 * never collides with something already listening on 3000.
 */
export async function makeEnvFile(root: string, dir: string): Promise<EnvFile> {
  const example = await readFile(join(root, '.env.example'), 'utf8');
  const secrets: Record<string, string> = {};
  const text = example.replace(/^([A-Z_]*PASSWORD)=.*$/gm, (_line, key: string) => {
    secrets[key] = `${key.toLowerCase().replace(/_/g, '-')}-${randomBytes(12).toString('hex')}`;
    return `${key}=${secrets[key]}`;
  });
  const dashboardPassword = secrets.DASHBOARD_PASSWORD;
  if (!dashboardPassword) throw new Error('.env.example has no DASHBOARD_PASSWORD= line to change');
  const dashboardPort = await freePort();
  const path = join(dir, '.env');
  await writeFile(path, `${text}\nDASHBOARD_PORT=${dashboardPort}\n`, { mode: 0o600 });
  return { path, dashboardPort, dashboardUser: 'admin', dashboardPassword, secrets };
}
