import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AuditEntry, Store } from '../src/store/index.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

const GUARD =
  'deletion guard: 60 of the 60 links of main are gone from the CRM or Sahut, more than deleteGuard allows (50); nothing was deleted, tagged, recreated or unlinked.';

const row = (runId: string, crmId: string, action: AuditEntry['action']): AuditEntry => ({
  runId,
  jobId: null,
  connection: 'main',
  direction: 'sahut-to-crm',
  crmId,
  sahutId: `ct-${crmId}`,
  action,
  diff: null,
  error: null,
  attempt: 1,
});

async function seed(store: Store) {
  const start = (id: string) =>
    store.startRun({ id, connection: 'main', direction: 'sahut-to-crm', dryRun: false });
  await start('run-1');
  await store.appendAudit([row('run-1', 'a', 'unchanged'), row('run-1', 'b', 'updated')]);
  await store.finishRun('run-1', 'succeeded');
  await start('run-2');
  await store.appendAudit([
    row('run-2', 'a', 'deleted'),
    row('run-2', 'b', 'relinked'),
    row('run-2', 'c', 'gone-in-sahut'),
    row('run-2', 'd', 'unlinked'),
    row('run-2', 'e', 'deleted'),
  ]);
  await store.finishRun('run-2', 'succeeded');
  await start('run-3');
  await store.finishRun('run-3', 'failed', GUARD);
  await start('run-4');
  await store.finishRun('run-4', 'failed', 'Sahut unreachable');
}

const healthSchema = z.object({
  connections: z.array(
    z.object({
      connection: z.string(),
      removals: z.array(
        z.object({
          runId: z.string(),
          startedAt: z.iso.datetime(),
          status: z.string(),
          counts: z.record(z.string(), z.number()),
          guard: z.string().nullable(),
        }),
      ),
    }),
  ),
});

/** The sync health page and API show each run's deletions, and every run the deletion guard stopped. */
describe('deletions on the sync health page', () => {
  let harness: Harness;
  let url: string;
  beforeAll(async () => {
    harness = await createHarness();
    await seed(harness.store);
    url = (await harness.start()).url;
  });
  afterAll(() => harness?.close());
  const get = (path: string) => fetch(url + path, { headers: { authorization: basic() } });

  it('lists, newest first, the runs that acted on removals or tripped the guard, and no others', async () => {
    const { connections } = healthSchema.parse(await (await get('/api/sync-health')).json());
    const main = connections.find((c) => c.connection === 'main');
    expect(main?.removals).toEqual([
      { runId: 'run-3', startedAt: expect.any(String), status: 'failed', counts: {}, guard: GUARD },
      {
        runId: 'run-2',
        startedAt: expect.any(String),
        status: 'succeeded',
        counts: { deleted: 2, relinked: 1, unlinked: 1, 'gone-in-sahut': 1 },
        guard: null,
      },
    ]);
  });

  it('draws them as a table on the home page, the guard trip with its message', async () => {
    const page = await (await get('/')).text();
    expect(page).toContain('<h2>Deletions, run by run</h2>');
    const table = page.slice(
      page.indexOf('id="removals"'),
      page.indexOf('</table>', page.indexOf('id="removals"')),
    );
    expect(table.match(/<tr data-run="([^"]+)"/g)).toEqual(['<tr data-run="run-3"', '<tr data-run="run-2"']);
    expect(table).toContain('class="guard"');
    expect(table).toContain('deletion guard: 60 of the 60 links of main');
    expect(table).toMatch(
      /data-run="run-2".*?<td class="num">2<\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">1<\/td><td class="num">1<\/td>/s,
    );
    expect(table).not.toContain('run-4');
  });
});
