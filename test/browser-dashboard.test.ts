import { mkdir } from 'node:fs/promises';
import { Queue, Worker } from 'bullmq';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../src/queue/index.ts';
import { hasPeer } from './helpers/peers.ts';
import { createHarness, type Harness, PASSWORD } from './server-fixtures.ts';

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

let harness: Harness;
let url: string;
let browser: Browser;
let runs: Queue;
let completedJobId: string;

beforeAll(async () => {
  harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
  url = (await harness.start()).url;
  runs = new Queue(QUEUES.runs, { connection: harness.deps.redis, prefix: harness.prefix });

  // A real worker completes one job under this test's prefix.
  const worker = new Worker(QUEUES.runs, async () => ({ action: 'done' }), {
    connection: { host: '127.0.0.1', port: 6379 },
    prefix: harness.prefix,
  });
  const completed = new Promise<string>((resolve, reject) => {
    worker.on('completed', (job) => resolve(job.id ?? ''));
    worker.on('failed', (_job, err) => reject(err));
  });
  await runs.add('run', { connection: 'browser-demo', direction: 'crm-to-sahut', trigger: 'cli' });
  completedJobId = await completed;
  await worker.close();

  await harness.store.upsertLink({
    connection: 'browser-demo',
    crmId: 'crm-42',
    sahutId: 'sh-42',
    phone: '+6281234567789',
    email: 'siti@example.com',
    base: { name: 'Siti', phone: '+6281234567789', email: 'siti@example.com' },
    crmHash: 'a',
    sahutHash: 'b',
    syncedAt: new Date(),
  });
  // First run: a failed attempt, then the create; a later run: an update.
  for (const [runId, attempt, action, error] of [
    ['run-demo-1', 1, 'failed', 'Sahut answered 503'],
    ['run-demo-1', 2, 'created', null],
    ['run-demo-2', 1, 'updated', null],
  ] as const) {
    await harness.store.appendAudit([
      {
        runId,
        jobId: completedJobId,
        connection: 'browser-demo',
        direction: 'crm-to-sahut',
        crmId: 'crm-42',
        sahutId: action === 'failed' ? null : 'sh-42',
        action,
        diff: { name: { before: null, after: 'Siti' } },
        error,
        attempt,
      },
    ]);
  }

  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (runs) {
    await runs.obliterate({ force: true });
    await runs.close();
  }
  await harness?.close();
});

describe.skipIf(!hasPeer('/usr/bin/chromium', 'chromium'))('dashboard in a browser', () => {
  it('logs into the board, sees the queues and the completed job', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: PASSWORD },
      viewport: { width: 1280, height: 800 },
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${url}/admin/queues`, { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      for (const name of Object.values(QUEUES)) {
        await page
          .getByRole('link', { name: new RegExp(`^${name}`) })
          .first()
          .waitFor({ timeout: 15_000 });
      }
      await page.goto(`${url}/admin/queues/queue/${QUEUES.runs}?status=completed`, {
        waitUntil: 'domcontentloaded',
      });
      await page.getByText(`#${completedJobId}`, { exact: false }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: `${ARTIFACTS}board.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it("opens a record's history by CRM id", async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: PASSWORD } });
    try {
      const page = await context.newPage();
      await page.goto(`${url}/audit?q=crm-42`, { waitUntil: 'domcontentloaded' });
      const rows = page.getByTestId('history-table').locator('tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      expect(await rows.first().textContent()).toContain('updated');
      expect(await rows.last().textContent()).toContain('Sahut answered 503');
      await page.getByRole('link', { name: 'Queues' }).waitFor();
      await page.screenshot({ path: `${ARTIFACTS}audit.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('cannot open the board with wrong credentials', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: 'wrong-password' },
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${url}/admin/queues`);
      expect(response?.status()).toBe(401);
      expect(await page.content()).not.toContain('<base href="/admin/queues/"');
    } finally {
      await context.close();
    }
  });
});
