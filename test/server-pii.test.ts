import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../src/queue/index.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

const PHONE = '+6281234567789';
const EMAIL = 'budi.santoso@example.com';
const NAME = 'Budi Santoso';
const OTHER_NAME = 'Budy Santosa';
/** What must not be readable anywhere with DASHBOARD_REDACT_PII=true, in any spelling. */
const CLEAR = [
  PHONE,
  '6281234567789',
  '81234567789',
  '0812-3456-7789',
  EMAIL,
  'budi.santoso@',
  NAME,
  OTHER_NAME,
];
const MASKED = ['+62812****789', 'b***@example.com', 'B*** S***'];

const AMBIGUOUS = `ambiguous: phone ${PHONE} matches ct_1, ct_2; email ${EMAIL} matches ct_3`;
const CONFLICT = `conflict on name: CRM "${NAME}", Sahut "${OTHER_NAME}" → kept CRM`;
const SAHUT_BODY = `Sahut rejected POST /contacts with HTTP 422: {"name":"${NAME}","phone":"0812-3456-7789","error":"taken"}`;

let harness: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await harness?.close();
  harness = undefined;
});

async function seeded(redactPii: boolean) {
  harness = await createHarness({ DASHBOARD_REDACT_PII: String(redactPii) });
  const { store, prefix, deps } = harness;
  const { url } = await harness.start();
  await store.startRun({ id: 'run-p', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
  await store.upsertLink({
    connection: 'main',
    crmId: 'crm-p',
    sahutId: 'ct_p',
    phone: PHONE,
    email: EMAIL,
    base: { name: NAME, phone: PHONE, email: EMAIL },
    crmHash: 'h1',
    sahutHash: 'h2',
    syncedAt: new Date(),
  });
  const row = {
    runId: 'run-p',
    jobId: '1',
    connection: 'main',
    direction: 'crm-to-sahut' as const,
    attempt: 1,
  };
  await store.appendAudit([
    { ...row, crmId: 'crm-p', sahutId: null, action: 'ambiguous', diff: null, error: AMBIGUOUS },
    { ...row, crmId: 'crm-p', sahutId: 'ct_p', action: 'failed', diff: null, error: SAHUT_BODY },
    {
      ...row,
      crmId: 'crm-p',
      sahutId: 'ct_p',
      action: 'updated',
      diff: {
        name: { before: OTHER_NAME, after: NAME },
        phone: { before: null, after: PHONE },
        email: { before: 'old@example.com', after: EMAIL },
        company: { before: 'PT Lama', after: 'PT Baru' },
      },
      error: CONFLICT,
      detail: { candidates: [{ id: 'ct_1', name: NAME, phone: PHONE, email: EMAIL }] },
    },
  ]);
  await store.finishRun('run-p', 'failed', `stopped at record crm-p (${EMAIL})`);

  // A record job that failed with the engine's reason, a log line and a stack trace.
  const queue = new Queue(QUEUES.records, { connection: deps.redis, prefix });
  const worker = new Worker(QUEUES.records, null, { connection: deps.redis, prefix });
  closers.push(
    () => queue.close(),
    () => worker.close(),
  );
  const added = await queue.add('record', {
    connection: 'main',
    record: { id: 'crm-p', data: { name: NAME } },
  });
  const job = await worker.getNextJob('token-1');
  expect(job?.id).toBe(added.id);
  await job?.log(`searching Sahut for ${PHONE} and ${EMAIL}`);
  await job?.moveToFailed(new Error(AMBIGUOUS), 'token-1');

  const get = async (path: string) => {
    const res = await fetch(url + path, { headers: { authorization: basic() } });
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const board = async () =>
    [
      await get(`/admin/queues/api/queues/${QUEUES.records}/${added.id}`),
      await get(`/admin/queues/api/queues?activeQueue=${QUEUES.records}&status=failed&page=1&jobsPerPage=10`),
      await get(`/admin/queues/api/queues/${QUEUES.records}/${added.id}/logs`),
    ].join('\n');
  const pages = async () =>
    [
      await get(`/audit?q=${encodeURIComponent('crm-p')}`),
      await get('/audit?run=run-p'),
      await get('/runs'),
      await get('/'),
    ].join('\n');
  const api = async () =>
    [
      await get('/api/audit?crm_id=crm-p'),
      await get('/api/runs'),
      await get('/api/runs/run-p'),
      await get('/api/runs/run-p/timeline'),
      await get('/api/sync-health'),
    ].join('\n');
  return { board, pages, api, get };
}

/** Pages escape quotes; compare against the text a reader sees. */
const asRead = (text: string) =>
  text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');

describe('DASHBOARD_REDACT_PII=true', () => {
  it.each(['board', 'pages', 'api'] as const)('masks phones, emails and names in the %s', async (where) => {
    const views = await seeded(true);
    const text = asRead(await views[where]());
    for (const clear of CLEAR) expect(text, `${where} shows ${clear}`).not.toContain(clear);
    for (const masked of MASKED) expect(text, `${where} lacks ${masked}`).toContain(masked);
    // Ids and what is not personal stay readable.
    expect(text).toContain('crm-p');
    if (where !== 'board') expect(text).toContain('PT Baru');
  });

  it("masks the failed job's reason and stack trace on the board, field by field", async () => {
    const { get } = await seeded(true);
    const { job } = JSON.parse(await get(`/admin/queues/api/queues/${QUEUES.records}/1`)) as {
      job: { failedReason: string; stacktrace: string[]; data: unknown };
    };
    expect(job.failedReason).toBe(
      'ambiguous: phone +62812****789 matches ct_1, ct_2; email b***@example.com matches ct_3',
    );
    expect(job.stacktrace[0]).toMatch(/^Error: ambiguous: phone \+62812\*{4}789 matches/);
    expect(job.data).toEqual({ connection: 'main', record: { id: 'crm-p', data: { name: 'B*** S***' } } });
  });

  it('still finds a record by the phone typed in clear, and pages by cursor', async () => {
    const { get } = await seeded(true);
    const page = asRead(await get(`/audit?q=${encodeURIComponent('0812-3456-7789')}`));
    expect((page.match(/data-audit-id="/g) ?? []).length).toBe(3);
    expect(page).toContain('+62812****789');
    const api = JSON.parse(await get('/api/audit?crm_id=crm-p&limit=1')) as { next_cursor: string };
    expect(api.next_cursor).toMatch(/^\d+$/);
    expect(
      JSON.parse(await get(`/api/audit?crm_id=crm-p&limit=1&cursor=${api.next_cursor}`)).rows,
    ).toHaveLength(1);
  });
});

describe('DASHBOARD_REDACT_PII=false', () => {
  it('shows the same data in clear', async () => {
    const views = await seeded(false);
    const text = asRead([await views.board(), await views.pages(), await views.api()].join('\n'));
    for (const clear of [PHONE, EMAIL, NAME, OTHER_NAME]) expect(text).toContain(clear);
  });
});
