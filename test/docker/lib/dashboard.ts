import { z } from 'zod';
import { GiveUp, waitFor } from './wait.ts';

const runSchema = z.object({
  id: z.string(),
  connection: z.string(),
  status: z.string(),
  note: z.string().nullish(),
  total: z.number(),
  counts: z.record(z.string(), z.number()),
});
export type Run = z.infer<typeof runSchema>;

export interface Dashboard {
  url: string;
  user: string;
  password: string;
}

const timeout = () => AbortSignal.timeout(10_000);
const basicAuth = (d: Dashboard) => ({
  authorization: `Basic ${Buffer.from(`${d.user}:${d.password}`).toString('base64')}`,
});

/** Recent runs of a connection, newest first, from the dashboard's `/api/runs` (basic auth). */
export async function listRuns(d: Dashboard, connection: string): Promise<Run[]> {
  const res = await fetch(`${d.url}/api/runs?connection=${connection}&limit=100`, {
    headers: basicAuth(d),
    signal: timeout(),
  });
  if (!res.ok) throw new Error(`/api/runs answered ${res.status}`);
  return z.object({ runs: z.array(runSchema) }).parse(await res.json()).runs;
}

/** GET without credentials: status and body text (for /readyz, /healthz, /metrics). */
export async function probe(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: timeout() });
  return { status: res.status, body: await res.text() };
}

/**
 * Contacts a process has POSTed to Sahut so far, from its /metrics. Counted per
 * request as it is sent: record outcomes are counted only when their whole
 * record job (a batch) ends, too late to tell a worker that is busy now.
 */
export async function postsOf(url: string): Promise<number> {
  const { body } = await probe(`${url}/metrics`);
  return counterSum(body, 'sahut_sync_sahut_requests_total', /route="POST \/contacts"/);
}

/** Sum of the samples of a counter in a Prometheus text exposition, optionally only those with `label`. */
export function counterSum(metrics: string, name: string, label?: RegExp): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => !label || label.test(line.slice(0, line.lastIndexOf(' '))))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** What a run did, for messages: `created 294, rejected 6`. */
export const countsOf = (run: Run) =>
  Object.entries(run.counts)
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');

/**
 * Waits for the first run of `connection` that `isNew` accepts to end, and
 * returns it; a new run that failed ends the wait at once with its note.
 */
export async function waitForRun(
  d: Dashboard,
  connection: string,
  what: string,
  isNew: (run: Run) => boolean,
  timeoutMs: number,
): Promise<Run> {
  let seen: Run[] = [];
  return waitFor(
    what,
    async () => {
      seen = (await listRuns(d, connection)).filter(isNew).reverse();
      const failed = seen.find((r) => r.status === 'failed');
      if (failed) throw new GiveUp(`run ${failed.id} failed: ${failed.note ?? countsOf(failed)}`);
      return seen.find((r) => r.status === 'succeeded');
    },
    { timeoutMs, everyMs: 2000 },
    () => seen.map((r) => `${r.id} ${r.status} (${countsOf(r)})`).join('; ') || 'no run yet',
  );
}

const auditPageSchema = z.object({
  rows: z.array(z.object({ crmId: z.string().nullable(), action: z.string(), attempt: z.number() })),
  next_cursor: z.string().nullable(),
});
export type AuditRow = z.infer<typeof auditPageSchema>['rows'][number];

/** Every audit row of a run (all attempts), from the dashboard's `/api/audit`. */
export async function auditOfRun(d: Dashboard, runId: string): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  let cursor: string | null = null;
  do {
    const query = `run=${encodeURIComponent(runId)}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await fetch(`${d.url}/api/audit?${query}`, { headers: basicAuth(d), signal: timeout() });
    if (!res.ok) throw new Error(`/api/audit answered ${res.status}`);
    const page = auditPageSchema.parse(await res.json());
    rows.push(...page.rows);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}
