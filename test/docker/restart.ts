import { waitUntilReady } from './compose-up.ts';
import type { Compose } from './lib/compose.ts';
import { countsOf, type Dashboard, listRuns, waitForRun } from './lib/dashboard.ts';
import { inspect } from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { sandboxContacts } from './lib/sandbox.ts';

const idsOf = (items: readonly { id: string }[]) => items.map((i) => i.id).sort();

/**
 * `docker-compose stop`: every app container still running exits 0 on
 * SIGTERM. `down` then `up` again: the volumes keep the store (its runs) and
 * the sandbox (its contacts), and the next run creates nothing.
 */
export async function checkDownUpKeepsData(c: Compose, d: Dashboard, killed: string): Promise<void> {
  step('docker-compose stop, down, up: the volumes keep the store and the sandbox');
  const contactsBefore = idsOf(await sandboxContacts(await c.sandboxUrl()));
  const runsBefore = idsOf(await listRuns(d, 'crm'));
  const apps = await c.appContainers();
  const running = (await Promise.all(apps.map(inspect))).filter((a) => a.State.Running && a.Id !== killed);
  await c.cmd('stop');
  const exits = await Promise.all(
    running.map(async (a) => `${a.Name} ${(await inspect(a.Id)).State.ExitCode}`),
  );
  check(
    exits.every((e) => e.endsWith(' 0')),
    `docker-compose stop: the ${running.length} running app containers exit 0`,
    exits,
  );

  const volumesBefore = await c.volumes();
  await c.cmd('down');
  const volumesAfter = await c.volumes();
  check(
    volumesBefore.length > 0 && volumesBefore.every((v) => volumesAfter.includes(v)),
    `docker-compose down keeps the volumes (${volumesBefore.join(', ')})`,
    volumesAfter,
  );
  await c.cmd('up', '-d', '--no-build');
  check((await waitUntilReady(d)).ready === true, 'up again: /readyz ready');

  const runsAfter = idsOf(await listRuns(d, 'crm'));
  check(
    runsBefore.every((id) => runsAfter.includes(id)),
    `the store kept its ${runsBefore.length} runs`,
    runsAfter,
  );
  const contactsAfter = idsOf(await sandboxContacts(await c.sandboxUrl()));
  check(
    JSON.stringify(contactsAfter) === JSON.stringify(contactsBefore),
    `the sandbox kept its ${contactsBefore.length} contacts`,
    contactsAfter.length,
  );
  const next = await waitForRun(
    d,
    'crm',
    'the next scheduled run',
    (r) => !runsBefore.includes(r.id),
    240_000,
  );
  check(
    (next.counts.created ?? 0) === 0,
    `the next run (${next.id}) creates nothing (${countsOf(next) || 'no records'})`,
    next,
  );
  const contactsLast = await sandboxContacts(await c.sandboxUrl());
  check(
    contactsLast.length === contactsBefore.length,
    'the sandbox still holds as many contacts',
    contactsLast.length,
  );
}
