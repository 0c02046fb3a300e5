/**
 * The Docker service, run for real: `docker build` of the Dockerfile, the image
 * on its own, then docker-compose.yml brought up, scaled, a worker killed, taken
 * down and up again. run.sh starts the daemon and the base image stand-ins
 * first; this script assumes `docker` answers. Every container, network and
 * volume it creates is removed at the end, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from './build.ts';
import { checkComposeUp } from './compose-up.ts';
import { makeEnvFile } from './env-file.ts';
import { checkImageAlone } from './image.ts';
import { compose } from './lib/compose.ts';
import { printLogsOf, removeByPrefix } from './lib/docker.ts';
import { checksPassed, elapsed, notesTaken, step } from './lib/report.ts';
import { checkDownUpKeepsData } from './restart.ts';
import { checkScaleAndKill } from './scale-kill.ts';
import { checkNoSecretsInImage } from './secrets.ts';

const root = new URL('../..', import.meta.url).pathname;
const work = await mkdtemp(join(tmpdir(), 'sahut-sync-docker-'));
// A private compose project: its containers, network and volumes are this run's alone.
const project = `sahutdocker${randomBytes(3).toString('hex')}`;
const env = await makeEnvFile(root, work);
const stack = compose(root, project, env.path);
const dashboard = {
  url: `http://127.0.0.1:${env.dashboardPort}`,
  user: env.dashboardUser,
  password: env.dashboardPassword,
};

async function cleanUp(): Promise<void> {
  step(`cleaning up: compose project ${project} and containers ${project}-*`);
  await stack.destroy();
  await removeByPrefix(project);
  await rm(work, { recursive: true, force: true });
}

// Interrupted: clean up all the same, then stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  await buildImage(root, work);
  await checkNoSecretsInImage(env.secrets);
  await checkImageAlone(project);
  await checkComposeUp(stack, dashboard);
  const killed = await checkScaleAndKill(stack, dashboard);
  await checkDownUpKeepsData(stack, dashboard, killed);
  step(`docker test passed: ${checksPassed()} checks in ${elapsed()}`);
  for (const line of notesTaken()) process.stdout.write(`  note - ${line}\n`);
} catch (err) {
  process.stdout.write(`not ok - ${err instanceof Error ? err.message : String(err)}\n`);
  await printLogsOf(await stack.containers().catch(() => []));
  process.exitCode = 1;
} finally {
  await cleanUp();
}
