import { envSchema } from '../../src/config/index.ts';
import { postsOf } from './lib/dashboard.ts';
import {
  APP_IMAGE,
  APP_INIT,
  addressOf,
  docker,
  inspect,
  logsOf,
  pid1,
  printLogsOf,
  removeAll,
} from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { duplicates, SANDBOX_KEY, sandboxContacts } from './lib/sandbox.ts';
import { run } from './lib/sh.ts';
import { GiveUp, waitFor } from './lib/wait.ts';

// SHUTDOWN_GRACE_MS as the image runs it: its default.
const GRACE_MS = envSchema.parse({}).SHUTDOWN_GRACE_MS;
// The demo connection of config/sahut-sync.yaml: 60 contacts, 3 rejected, one person entered twice.
const DEMO_CONTACTS = 56;

/** Redis (stand-in), the sandbox and a worker on a private network, plus a `run --once` beside them. */
function standalone(project: string) {
  const names = { redis: `${project}-redis`, sandbox: `${project}-sandbox`, worker: `${project}-worker` };
  const [network, volume, runner] = [`${project}-net`, `${project}-data`, `${project}-run`];
  const env = Object.entries({
    REDIS_URL: `redis://${names.redis}:6379`,
    SAHUT_BASE_URL: `http://${names.sandbox}:4010/v1`,
    SAHUT_API_KEY: SANDBOX_KEY,
    // Slow enough that the run is still going when the worker is stopped; one record job at a
    // time keeps what it must finish on SIGTERM well inside the grace period.
    SAHUT_RATE_LIMIT: '5',
    WORKER_CONCURRENCY: '1',
    LOG_FORMAT: 'json',
  }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // Every app container shares one volume: the worker and `run --once` share the SQLite store on it.
  const app = (name: string, ...args: string[]) =>
    docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      network,
      '-v',
      `${volume}:/app/data`,
      ...env,
      APP_IMAGE,
      ...args,
    );
  return { names, network, volume, runner, app, containers: [runner, ...Object.values(names)] };
}
type Standalone = ReturnType<typeof standalone>;

async function checkUserAndHelp(): Promise<void> {
  const user = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config.User}}', APP_IMAGE));
  check(!['', 'root', '0'].includes(user), `the image's user is not root (USER ${user})`);
  const help = await run('docker', ['run', '--rm', APP_IMAGE, '--help']);
  check(
    help.code === 0 && /Usage: sahut-sync/.test(help.stdout),
    'docker run IMAGE --help prints the usage',
    help,
  );
}

async function startWorker({ names, network, app }: Standalone): Promise<void> {
  await docker('network', 'create', network);
  await docker('run', '-d', '--name', names.redis, '--network', network, 'redis:7-alpine');
  await Promise.all([
    app(names.sandbox, 'sandbox', '--host', '0.0.0.0', '--port', '4010'),
    app(names.worker),
  ]);
  const uid = (await docker('exec', names.worker, 'id', '-u')).trim();
  check(uid !== '0', `the worker runs as uid ${uid}, not root`);
  const init = await pid1(names.worker);
  check(init.startsWith(APP_INIT), 'tini is PID 1 of the worker, node runs with the V8 flags', init);
  const healthy = async () => (await inspect(names.worker)).State.Health?.Status === 'healthy';
  await waitFor('the worker HEALTHCHECK', async () => ((await healthy()) ? true : undefined), {
    timeoutMs: 120_000,
    everyMs: 2000,
  });
  check(true, 'the HEALTHCHECK of a worker turns healthy');
}

/** `docker stop` once the worker is creating the demo's contacts, well before the run's end. */
async function stopBusyWorker({ names }: Standalone, sandboxUrl: string): Promise<void> {
  const workerUrl = `http://${await addressOf(names.worker)}:3000`;
  await waitFor(
    'the worker to be busy with the demo run',
    async () => {
      const done = (await sandboxContacts(sandboxUrl)).length;
      if (done >= DEMO_CONTACTS - 10)
        throw new GiveUp(`the run got too far (${done} contacts) to stop mid-run`);
      const posted = await postsOf(workerUrl);
      return posted >= 3 ? posted : undefined;
    },
    { timeoutMs: 120_000, everyMs: 250 },
  );
  const stopping = Date.now();
  // Docker's own timeout is longer than the grace period, so only the app decides when to exit.
  await docker('stop', '-t', String(GRACE_MS / 1000 + 10), names.worker);
  const tookMs = Date.now() - stopping;
  const { State } = await inspect(names.worker);
  check(State.ExitCode === 0, 'docker stop: the busy worker exits 0', State);
  check(tookMs < GRACE_MS, `docker stop: it stopped in ${tookMs} ms, within SHUTDOWN_GRACE_MS=${GRACE_MS}`);
  const logs = await logsOf(names.worker);
  const drained = logs
    .split('\n')
    .some((line) => line.includes('workers stopped') && line.includes('drained'));
  check(drained, 'docker stop: its in-flight jobs drained', logs);
  check(!logs.includes('Tini is not running as PID 1'), 'no init warning in the worker log');
}

async function checkRunFinishes({ runner }: Standalone, sandboxUrl: string): Promise<void> {
  const ended = await waitFor(
    'the demo run to end',
    async () => {
      const { State } = await inspect(runner);
      return State.Running ? undefined : State;
    },
    { timeoutMs: 240_000, everyMs: 2000 },
  );
  const output = await logsOf(runner);
  // Exit 1: the run finished, with records that need attention (the demo's rejected ones).
  check(ended.ExitCode <= 1 && /succeeded/.test(output), 'run --once finishes the run alone', output);
  const contacts = await sandboxContacts(sandboxUrl);
  check(
    contacts.length === DEMO_CONTACTS,
    `the sandbox holds the ${DEMO_CONTACTS} demo contacts`,
    contacts.length,
  );
  check(duplicates(contacts).length === 0, 'none of them twice', duplicates(contacts));
}

/**
 * The image alone, as `docker run` starts it: a non-root user, `--help`, the
 * HEALTHCHECK of a worker turning healthy, and `docker stop` of a worker in the
 * middle of a run: it drains its jobs and exits 0 within SHUTDOWN_GRACE_MS,
 * and `run --once` of the demo connection finishes the run without it.
 */
export async function checkImageAlone(project: string): Promise<void> {
  step('the image on its own: user, --help, HEALTHCHECK, docker stop of a busy worker');
  const s = standalone(project);
  try {
    await checkUserAndHelp();
    await startWorker(s);
    await s.app(s.runner, 'run', '--once', '--connection', 'demo');
    const sandboxUrl = `http://${await addressOf(s.names.sandbox)}:4010/v1`;
    await stopBusyWorker(s, sandboxUrl);
    await checkRunFinishes(s, sandboxUrl);
  } catch (err) {
    await printLogsOf(s.containers);
    throw err;
  } finally {
    await removeAll({ containers: s.containers, networks: [s.network], volumes: [s.volume] });
  }
}
