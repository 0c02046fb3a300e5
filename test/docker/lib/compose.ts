import { join } from 'node:path';
import { APP_IMAGE, addressOf, inspect } from './docker.ts';
import { run, sh } from './sh.ts';

/** docker-compose (v1, Debian's) on the project's compose file, under a private project name and .env. */
export interface Compose {
  project: string;
  /** Runs `docker-compose <args>`; a non-zero exit throws. */
  cmd(...args: string[]): Promise<string>;
  /** Containers of a service (or of every service), running or not. */
  containers(service?: string): Promise<string[]>;
  /** The containers that run the project's image (sandbox, scheduler, workers, dashboard). */
  appContainers(): Promise<string[]>;
  /** Names of the project's volumes. */
  volumes(): Promise<string[]>;
  /** The sandbox's Contacts API, reached from the host at the container's address. */
  sandboxUrl(): Promise<string>;
  /** Removes containers, networks and volumes of the project; never throws. */
  destroy(): Promise<void>;
}

export function compose(root: string, project: string, envFile: string): Compose {
  const base = ['-p', project, '--env-file', envFile, '-f', join(root, 'docker-compose.yml')];
  const cmd = (...args: string[]) => sh('docker-compose', [...base, ...args]);
  const containers = async (service?: string) =>
    (await cmd('ps', '-q', ...(service ? [service] : []))).split('\n').filter(Boolean);
  return {
    project,
    cmd,
    containers,
    async appContainers() {
      const all = await containers();
      const images = await Promise.all(all.map(async (id) => (await inspect(id)).Config.Image));
      return all.filter((_, i) => images[i] === APP_IMAGE);
    },
    async volumes() {
      const filter = `label=com.docker.compose.project=${project}`;
      return (await sh('docker', ['volume', 'ls', '-q', '--filter', filter])).split('\n').filter(Boolean);
    },
    async sandboxUrl() {
      const [sandbox] = await containers('sandbox');
      if (!sandbox) throw new Error('no sandbox container');
      return `http://${await addressOf(sandbox)}:4010/v1`;
    },
    async destroy() {
      await run('docker-compose', [...base, 'down', '--volumes', '--remove-orphans', '--timeout', '5']);
    },
  };
}
