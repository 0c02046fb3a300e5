import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryConnector } from '../src/crm/index.ts';
import { enqueueRun, QUEUES, waitForRun } from '../src/queue/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { ARTIFACTS, hasChromium, launchChromium, withPage } from './helpers/browser.ts';
import { type Node, runOnce, startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, testConfig } from './helpers/env.ts';
import { createHarness, type Harness, PASSWORD } from './server-fixtures.ts';

let harness: Harness;
let url: string;
let browser: Browser;
let sandbox: Sandbox;
let node: Node;
let completedJobId: string;

beforeAll(async () => {
  harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
  url = (await harness.start()).url;

  // A real sync under this test's prefix and store: the board and the audit pages show what it did.
  const started = await startSandbox({ apiKey: API_KEY });
  sandbox = started.sandbox;
  const config = testConfig({
    QUEUE_PREFIX: harness.prefix,
    SAHUT_BASE_URL: started.baseUrl,
    SAHUT_MAX_RETRIES: '0',
  });
  const connector = createMemoryConnector([
    { id: 'crm-42', data: { name: 'Siti', phone: '0812-3456-7789', email: 'siti@example.com' } },
  ]);
  node = startNode(config, harness.store, [testConnection('browser-demo')], () => connector);
  // Sahut is down for the first search: attempt 1 fails, attempt 2 creates the contact.
  sandbox.setFaults({ rules: [{ route: 'GET /contacts', script: [503] }] });
  const first = await enqueueRun(node.rt, 'browser-demo', 'crm-to-sahut');
  await waitForRun(node.rt, first.job, first.runId);
  completedJobId = first.job.id as string;
  await connector.edit('crm-42', { company: 'PT Baru' });
  await runOnce(node, 'browser-demo');

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  await sandbox?.close();
  await harness?.close();
});

describe.skipIf(!hasChromium())('dashboard in a browser', () => {
  it('logs into the board, sees the queues and the completed job', async () => {
    const options = {
      httpCredentials: { username: 'admin', password: PASSWORD },
      viewport: { width: 1280, height: 800 },
    };
    await withPage(browser, options, async (page) => {
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
      await page.getByText(completedJobId, { exact: false }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: `${ARTIFACTS}board.png`, fullPage: true });
    });
  });

  it("opens a record's history by CRM id", async () => {
    await withPage(browser, { httpCredentials: { username: 'admin', password: PASSWORD } }, async (page) => {
      await page.goto(`${url}/audit?q=crm-42`, { waitUntil: 'domcontentloaded' });
      const rows = page.getByTestId('history-table').locator('tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      expect(await rows.first().textContent()).toContain('updated');
      expect(await rows.last().textContent()).toContain('Sahut unavailable');
      await page.getByRole('link', { name: 'Queues' }).waitFor();
      await page.screenshot({ path: `${ARTIFACTS}audit.png`, fullPage: true });
    });
  });

  it('cannot open the board with wrong credentials', async () => {
    const options = { httpCredentials: { username: 'admin', password: 'wrong-password' } };
    await withPage(browser, options, async (page) => {
      const response = await page.goto(`${url}/admin/queues`);
      expect(response?.status()).toBe(401);
      expect(await page.content()).not.toContain('<base href="/admin/queues/"');
    });
  });
});
