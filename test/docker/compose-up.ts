import type { Compose } from './lib/compose.ts';
import { countsOf, type Dashboard, listRuns, probe, waitForRun } from './lib/dashboard.ts';
import { APP_INIT, logsOf, pid1 } from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { duplicates, sandboxContacts } from './lib/sandbox.ts';
import { waitFor } from './lib/wait.ts';

// config/compose/initdb seeds 300 contacts, six with an invalid phone.
const SEEDED = 300;
const INVALID = 6;

/** Waits until the dashboard answers /readyz with 200 and returns its report. */
export async function waitUntilReady(d: Dashboard): Promise<{ ready: boolean }> {
  const ready = await waitFor(
    'the dashboard /readyz',
    async () => {
      const res = await probe(`${d.url}/readyz`);
      return res.status === 200 ? res.body : undefined;
    },
    { timeoutMs: 240_000, everyMs: 2000 },
  );
  return JSON.parse(ready) as { ready: boolean };
}

/** Every container of the image has tini as PID 1, and no init complains about another. */
export async function checkOneInit(c: Compose): Promise<void> {
  const apps = await c.appContainers();
  const inits = await Promise.all(apps.map(pid1));
  check(
    inits.every((cmd) => cmd.startsWith(APP_INIT)),
    `tini is PID 1 in each of the ${apps.length} app containers (no second init)`,
    inits,
  );
  const logs = await Promise.all(apps.map(logsOf));
  check(
    !logs.some((l) => l.includes('Tini is not running as PID 1')),
    'no "Tini is not running as PID 1" warning',
  );
}

/**
 * `docker-compose up -d` with the test's .env: the stack comes up healthy, the
 * scheduler's first run syncs the demo table into the sandbox, and the
 * dashboard's API, /readyz and /metrics answer.
 */
export async function checkComposeUp(c: Compose, d: Dashboard): Promise<void> {
  step('docker-compose up -d (.env made from .env.example)');
  await c.cmd('up', '-d', '--no-build');
  check((await waitUntilReady(d)).ready === true, '/readyz of the dashboard: ready');
  await checkOneInit(c);
  const metrics = await probe(`${d.url}/metrics`);
  check(
    metrics.status === 200 && metrics.body.includes('sahut_sync_'),
    '/metrics answers with sahut_sync_ metrics',
  );
  const unauthorized = await probe(`${d.url}/api/runs`);
  check(unauthorized.status === 401, '/api/runs refuses a request without credentials', unauthorized.status);

  step('waiting for the scheduler to sync the demo table (every minute, 10 requests/s)');
  const run = await waitForRun(d, 'crm', 'the first sync of the demo table', (r) => r.total > 0, 420_000);
  const { created = 0, rejected = 0, failed = 0 } = run.counts;
  check(
    created === SEEDED - INVALID && rejected === INVALID && failed === 0,
    `/api/runs: run ${run.id} synced the demo table (${countsOf(run)})`,
    run,
  );
  const contacts = await sandboxContacts(await c.sandboxUrl());
  check(contacts.length === created, `the sandbox holds the ${created} contacts`, contacts.length);
  check(duplicates(contacts).length === 0, 'none of them twice', duplicates(contacts));
  check((await listRuns(d, 'crm')).length > 0, 'the store lists the run');
}
