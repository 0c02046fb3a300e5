import type { Compose } from './lib/compose.ts';
import {
  auditOfRun,
  countsOf,
  type Dashboard,
  listRuns,
  postsOf,
  probe,
  waitForRun,
} from './lib/dashboard.ts';
import { addressOf, docker } from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { duplicates, sandboxContacts } from './lib/sandbox.ts';
import { GiveUp, waitFor } from './lib/wait.ts';

const NEW_ROWS = 200;
// Valid Indonesian mobiles and emails that no seeded row has.
const phoneOf = (n: number) => `+62857${String(900_000 + n).padStart(8, '0')}`;
const INSERT = `INSERT INTO crm.contacts (first_name, last_name, mobile, email, company_name, segments, tier)
SELECT 'Docker', 'Kill ' || n, '+62857' || lpad((900000 + n)::text, 8, '0'), 'docker-kill-' || n || '@example.net',
       'PT Uji Docker', 'docker', 'gold'
FROM generate_series(1, ${NEW_ROWS}) AS n
RETURNING id;`;

/** Contacts each worker has POSTed so far. */
async function postsBy(urls: Map<string, string>): Promise<Map<string, number>> {
  return new Map(await Promise.all([...urls].map(async ([id, url]) => [id, await postsOf(url)] as const)));
}

async function workerUrls(c: Compose): Promise<Map<string, string>> {
  const workers = await c.containers('worker');
  check(workers.length === 3, 'three worker containers', workers.length);
  const urls = new Map(
    await Promise.all(workers.map(async (w) => [w, `http://${await addressOf(w)}:3000`] as const)),
  );
  const healthy = async () =>
    (await Promise.all([...urls.values()].map((u) => probe(`${u}/healthz`)))).every((r) => r.status === 200);
  await waitFor('the three workers to answer /healthz', async () => ((await healthy()) ? true : undefined), {
    timeoutMs: 120_000,
  });
  return urls;
}

/** The busiest worker once it has created a few of the new contacts, while most are still to do. */
function busiestWorker(
  urls: Map<string, string>,
  baseline: Map<string, number>,
  sandbox: () => Promise<number>,
) {
  return waitFor(
    'a worker busy with the new rows',
    async () => {
      const synced = await sandbox();
      if (synced > NEW_ROWS / 2)
        throw new GiveUp(`the run got too far (${synced} created) to kill a worker mid-run`);
      const now = await postsBy(urls);
      const [busiest] = [...urls.keys()]
        .map((w) => [w, (now.get(w) ?? 0) - (baseline.get(w) ?? 0)] as const)
        .sort((a, b) => b[1] - a[1]);
      return busiest && busiest[1] >= 5 ? busiest : undefined;
    },
    { timeoutMs: 150_000, everyMs: 500 },
  );
}

/**
 * `--scale worker=3`, new CRM rows, and the busiest worker killed with `docker
 * kill` mid-run: the run still completes (its jobs are taken over once their
 * locks expire) and the sandbox holds every new contact exactly once.
 * Returns the killed container.
 */
export async function checkScaleAndKill(c: Compose, d: Dashboard): Promise<string> {
  step('docker-compose up --scale worker=3, then a worker killed mid-run');
  await c.cmd('up', '-d', '--no-build', '--scale', 'worker=3');
  const urls = await workerUrls(c);
  const sandboxUrl = await c.sandboxUrl();
  const before = await sandboxContacts(sandboxUrl);
  const earlierRuns = new Set((await listRuns(d, 'crm')).map((r) => r.id));
  const baseline = await postsBy(urls);
  const psql = [
    'exec',
    '-T',
    'postgres',
    'psql',
    '-U',
    'sahut',
    '-d',
    'sahut',
    '-At',
    '-v',
    'ON_ERROR_STOP=1',
  ];
  const inserted = await c.cmd(...psql, '-c', INSERT);
  const newIds = inserted.split('\n').filter((line) => /^\d+$/.test(line.trim()));
  check(newIds.length === NEW_ROWS, `${NEW_ROWS} new rows in crm.contacts`, inserted);

  const synced = async () => (await sandboxContacts(sandboxUrl)).length - before.length;
  const [victim, done] = await busiestWorker(urls, baseline, synced);
  await docker('kill', victim);
  check(true, `docker kill of worker ${victim.slice(0, 12)} after it created ${done} of the new contacts`);

  const run = await waitForRun(
    d,
    'crm',
    'the run of the new rows to complete',
    (r) => !earlierRuns.has(r.id) && r.total >= NEW_ROWS,
    420_000,
  );
  const { failed = 0, ambiguous = 0 } = run.counts;
  check(
    failed === 0 && ambiguous === 0,
    `run ${run.id} completed without the killed worker (${countsOf(run)})`,
    run,
  );
  const after = await sandboxContacts(sandboxUrl);
  const phones = new Set(after.map((contact) => contact.phone));
  const missing = Array.from({ length: NEW_ROWS }, (_, i) => phoneOf(i + 1)).filter((p) => !phones.has(p));
  check(missing.length === 0, 'every new row is in the sandbox', missing);
  check(
    after.length === before.length + NEW_ROWS,
    `nothing twice: ${after.length} contacts`,
    duplicates(after),
  );
  check(duplicates(after).length === 0, 'no phone or email held by two contacts', duplicates(after));
  await checkExplained(d, run.id, newIds);
  return victim;
}

/**
 * Each new contact has its creation (or link) in the run's audit, in some
 * attempt: also one whose worker was killed between writing the link and
 * writing the audit row (the next attempt reports what the dead one did).
 */
async function checkExplained(d: Dashboard, runId: string, newIds: readonly string[]): Promise<void> {
  const audit = await auditOfRun(d, runId);
  const explained = new Set(
    audit.filter((r) => ['created', 'linked'].includes(r.action)).map((r) => r.crmId),
  );
  const unexplained = newIds
    .filter((crmId) => !explained.has(crmId))
    .map(
      (id) =>
        `${id}: ${
          audit
            .filter((r) => r.crmId === id)
            .map((r) => r.action)
            .join(', ') || 'none'
        }`,
    );
  check(unexplained.length === 0, `every new contact's creation is in the audit of ${runId}`, unexplained);
}
