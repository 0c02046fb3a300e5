import { z } from 'zod';
import { NODE_FLAGS } from '../../../src/cli/node-flags.ts';
import { run, sh } from './sh.ts';

export const APP_IMAGE = 'sahut-sync:local';
/** How PID 1 of every app container starts: tini, then node with a deployment's V8 flags. */
export const APP_INIT = `tini -- node ${NODE_FLAGS.join(' ')} dist/cli/main.js`;

const containerSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Config: z.object({ Image: z.string() }),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number(),
    Health: z.object({ Status: z.string() }).nullish(),
  }),
  NetworkSettings: z.object({ Networks: z.record(z.string(), z.object({ IPAddress: z.string() })) }),
});
export type Container = z.infer<typeof containerSchema>;

export const docker = (...args: string[]) => sh('docker', args);

export async function inspect(container: string): Promise<Container> {
  const [first] = z.array(containerSchema).parse(JSON.parse(await docker('container', 'inspect', container)));
  if (!first) throw new Error(`no container ${container}`);
  return first;
}

/** The container's address on its (only) network; the host reaches it directly over the bridge. */
export async function addressOf(container: string): Promise<string> {
  const networks = Object.values((await inspect(container)).NetworkSettings.Networks);
  const ip = networks.find((n) => n.IPAddress)?.IPAddress;
  if (!ip) throw new Error(`container ${container} has no IP address`);
  return ip;
}

/** What PID 1 of a running container is, e.g. `${APP_INIT} worker`. */
export async function pid1(container: string): Promise<string> {
  const raw = await docker('exec', container, 'cat', '/proc/1/cmdline');
  return raw.split('\0').join(' ').trim();
}

/** stdout and stderr of a container, as `docker logs` gives them. */
export async function logsOf(container: string): Promise<string> {
  const { stdout, stderr } = await run('docker', ['logs', container]);
  return stdout + stderr;
}

/** The last lines of each container's log, to see why a check failed. */
export async function printLogsOf(containers: readonly string[]): Promise<void> {
  for (const container of containers) {
    const lines = (await logsOf(container)).trimEnd().split('\n').slice(-25).join('\n');
    process.stdout.write(`--- last lines of the log of ${container}\n${lines}\n`);
  }
}

/** Removes containers, networks and volumes by name; those already gone are fine. */
export async function removeAll(what: { containers?: string[]; networks?: string[]; volumes?: string[] }) {
  if (what.containers?.length) await run('docker', ['rm', '-f', '-v', ...what.containers]);
  if (what.networks?.length) await run('docker', ['network', 'rm', ...what.networks]);
  if (what.volumes?.length) await run('docker', ['volume', 'rm', '-f', ...what.volumes]);
}

/** Removes every container, network and volume whose name starts with `prefix`. */
export async function removeByPrefix(prefix: string): Promise<void> {
  const names = async (kind: string) =>
    (
      await run('docker', [
        kind,
        'ls',
        '-q',
        ...(kind === 'container' ? ['-a'] : []),
        '--filter',
        `name=^${prefix}`,
      ])
    ).stdout
      .split('\n')
      .filter(Boolean);
  await removeAll({
    containers: await names('container'),
    networks: await names('network'),
    volumes: await names('volume'),
  });
}
