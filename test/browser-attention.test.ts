import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryConnector } from '../src/crm/index.ts';
import { syncSchedules } from '../src/queue/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { ARTIFACTS, hasChromium, launchChromium, withPage } from './helpers/browser.ts';
import { type Node, runOnce, startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, testConfig, until } from './helpers/env.ts';
import { createHarness, type Harness, PASSWORD } from './server-fixtures.ts';

const CONNECTION = 'browser-attention';

let harness: Harness;
let url: string;
let browser: Browser;
let sandbox: Sandbox;
let node: Node;
let chosen: string;

beforeAll(async () => {
  harness = await createHarness({ DASHBOARD_AUTH: 'basic' });
  // Scheduled at 03:00 Jakarta time: the health page shows when it next runs.
  const connections = [
    { ...testConnection(CONNECTION), schedule: { cron: '0 0 3 * * *', tz: 'Asia/Jakarta' } },
  ];
  url = (await harness.start({ connections })).url;
  const started = await startSandbox({ apiKey: API_KEY });
  sandbox = started.sandbox;
  const config = testConfig({ QUEUE_PREFIX: harness.prefix, SAHUT_BASE_URL: started.baseUrl });
  // Siti's phone is one contact's, her email another's: nothing is written until a person says which.
  const [byPhone, byEmail] = sandbox.seed([
    { name: 'Siti (WhatsApp)', phone: '+6281234567789', company: 'PT Lama' },
    { name: 'Siti Rahma', email: 'siti@example.com', company: 'PT Baru' },
  ]);
  chosen = byEmail!.id;
  expect(byPhone).toBeDefined();
  const connector = createMemoryConnector([
    {
      id: 'crm-7',
      data: { name: 'Siti Rahma', phone: '0812-3456-7789', email: 'siti@example.com', company: 'PT Baru' },
    },
  ]);
  node = startNode(config, harness.store, connections, () => connector);
  await syncSchedules(node.rt.queues.runs, connections);
  const run = await runOnce(node, CONNECTION);
  expect(run.counts).toMatchObject({ ambiguous: 1 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  await sandbox?.close();
  await harness?.close();
});

describe.skipIf(!hasChromium())('the attention page in a browser', () => {
  it('resolves an ambiguous record by choosing a candidate; the next run links it and the listing empties', async () => {
    const options = {
      httpCredentials: { username: 'admin', password: PASSWORD },
      viewport: { width: 1280, height: 900 },
    };
    await withPage(browser, options, async (page) => {
      const health = page.locator(
        `#health tr[data-connection="${CONNECTION}"][data-direction="crm-to-sahut"] td`,
      );
      await page.goto(`${url}/`, { waitUntil: 'domcontentloaded' });
      const before = await health.allTextContents();
      expect(before.slice(4)).toEqual(['0', 'ambiguous 1 ', expect.stringMatching(/ 20:00:00Z$/), 'no']);
      await page.screenshot({ path: `${ARTIFACTS}health.png`, fullPage: true });
      await page.getByRole('link', { name: 'ambiguous 1' }).click();
      await page.waitForURL(/\/attention\?connection=browser-attention&kind=ambiguous/);
      const entry = page.locator('section[data-entry-id="crm-7"]');
      await entry.waitFor();
      expect(await entry.locator('.kind').textContent()).toBe('ambiguous');
      // The CRM record beside each candidate: the email twin's email and company match the record's.
      expect(await entry.locator('td.same').count()).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: `${ARTIFACTS}attention.png`, fullPage: true });

      await entry.locator(`form:has(input[name="candidate"][value="${chosen}"]) button`).click();
      await page.waitForURL(/\/attention\?connection=browser-attention&action=act-/);
      await page.locator('#action-status').waitFor();
      // The action's run links the record; the page empties once it has.
      await until(
        async () => {
          await page.reload({ waitUntil: 'domcontentloaded' });
          return (await page.locator('#attention-empty').count()) > 0;
        },
        30_000,
        'the listing to empty',
      );
      expect(await page.locator('#action-status').getAttribute('data-state')).toBe('completed');
      await page.screenshot({ path: `${ARTIFACTS}attention-resolved.png`, fullPage: true });

      expect((await harness.store.getLinks(CONNECTION, ['crm-7'])).get('crm-7')?.sahutId).toBe(chosen);
      const [linked, decided] = (await harness.store.queryAudit({ crmId: 'crm-7', limit: 2 })).rows;
      expect(linked).toMatchObject({ action: 'linked', sahutId: chosen });
      expect(decided).toMatchObject({
        action: 'decided',
        error: `link crm-7 to ${chosen}, by admin (dashboard)`,
      });

      await page.goto(`${url}/`, { waitUntil: 'domcontentloaded' });
      const after = await health.allTextContents();
      expect(after.slice(4)).toEqual(['1', 'none', expect.stringMatching(/ 20:00:00Z$/), 'no']);
    });
  });
});
