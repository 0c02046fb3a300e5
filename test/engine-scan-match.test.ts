import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CrmRecord, createMemoryConnector } from '../src/crm/index.ts';
import type { SeedContact } from '../src/sandbox/contact-store.ts';
import type { Sandbox, SandboxOptions } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import {
  type EngineDeployment,
  engineDeployment,
  runOnce,
  startNode,
  testConnection,
} from './helpers/engine.ts';

const phone = (i: number) => `+62813${String(10_000_000 + i)}`;
const seedContacts = (n: number, from = 0): SeedContact[] =>
  Array.from({ length: n }, (_, i) => ({ name: `Sahut ${from + i}`, phone: phone(from + i) }));
const crmRecord = (i: number, id = `crm-${i}`): CrmRecord => ({
  id,
  data: { name: `Customer ${i}`, phone: `0813${String(10_000_000 + i)}` },
});

/**
 * Matching against one scan of Sahut (`options.match: scan | auto`): the scan's
 * cost, its completeness under concurrent writes, ambiguity and duplicate
 * reporting, and `auto` choosing each mode where it should.
 */
describe('matching new records against a scan of Sahut', () => {
  let deployment: EngineDeployment;
  let sandbox: Sandbox;
  let store: Store;

  async function setUp(sandboxOptions: Partial<SandboxOptions> = {}, prepare?: (s: Sandbox) => void) {
    deployment = await engineDeployment('postgres', sandboxOptions, prepare);
    ({ sandbox, store } = deployment);
  }
  afterEach(() => deployment.dispose());

  const node = (records: CrmRecord[], match: 'scan' | 'auto' | 'search') => {
    const connector = createMemoryConnector(records);
    return { connector, node: deployment.node([testConnection('crm', { match })], () => connector) };
  };

  describe('with a 10,000-contact Sahut', () => {
    beforeEach(async () => {
      await setUp();
      sandbox.seed(seedContacts(10_000));
    });

    it('scans it with exactly 100 list calls, then creates without a search', async () => {
      const { node: n } = node([crmRecord(20_000), crmRecord(9_999)], 'scan');
      sandbox.resetCounts();
      const run = await runOnce(n);
      expect(run.counts).toEqual({ created: 1, linked: 1 });
      expect(sandbox.counts()).toEqual({ 'GET /contacts': 100, 'POST /contacts': 1, 'PUT /contacts/:id': 1 });
      expect(run).toMatchObject({ match: 'scan', callsSaved: 2 - 100 });
    });
  });

  it('misses no contact while others are inserted at the front of the list during the scan', async () => {
    let inserted = 0;
    await setUp({ newestFirst: true }, (s) =>
      s.app.addHook('onRequest', async (request) => {
        if (request.method === 'GET' && request.url.includes('page=')) {
          s.seed(seedContacts(7, 50_000 + inserted));
          inserted += 7;
        }
      }),
    );
    sandbox.seed(seedContacts(1_000));
    // Three of the CRM's people are among the first contacts, the last, and in the middle.
    const { node: n } = node([crmRecord(0), crmRecord(500), crmRecord(999)], 'scan');
    const run = await runOnce(n);
    expect(run.counts).toEqual({ linked: 3 });
    expect(sandbox.counts()['POST /contacts'] ?? 0).toBe(0);
    for (const i of [0, 1, 250, 998, 999])
      expect(await store.findIndexed({ phone: phone(i), email: null })).toHaveLength(1);
  });

  /**
   * Holds the first request for page 2 until page 3 has been answered: a scan
   * reading pages one after the other would wait here in vain (5 s), so
   * `outOfOrder` says whether they were read side by side. `meanwhile` runs
   * between the two, as a write by someone else would.
   */
  const page2AfterPage3 = (meanwhile: (s: Sandbox) => void = () => {}) => {
    const gate = { outOfOrder: false };
    const prepare = (s: Sandbox) => {
      let page3Answered = false;
      let held = false;
      let wake: () => void = () => {};
      const pageOf = (url: string) => new URL(url, 'http://x').searchParams.get('page');
      s.app.addHook('onResponse', async (request) => {
        if (pageOf(request.url) !== '3') return;
        page3Answered = true;
        wake();
      });
      s.app.addHook('onRequest', async (request) => {
        if (pageOf(request.url) !== '2' || held) return;
        held = true;
        if (!page3Answered) await Promise.race([new Promise<void>((r) => (wake = r)), sleep(5_000)]);
        gate.outOfOrder = page3Answered;
        meanwhile(s);
      });
    };
    return { gate, prepare };
  };

  it('reads the pages side by side, and exactly once when nobody writes meanwhile', async () => {
    const { gate, prepare } = page2AfterPage3();
    await setUp({}, prepare);
    sandbox.seed(seedContacts(1_000));
    const { node: n } = node([crmRecord(999)], 'scan');
    sandbox.resetCounts();
    const run = await runOnce(n);
    expect(gate.outOfOrder).toBe(true);
    expect(run.counts).toEqual({ linked: 1 });
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 10, 'PUT /contacts/:id': 1 });
  });

  it('reads Sahut again in order when its total moved while pages were read out of order', async () => {
    // Newest first: 7 contacts inserted before page 2 is answered push the last 7 of page 2 onto
    // page 3, which was already read; only a second, in-order pass finds them.
    const { gate, prepare } = page2AfterPage3((s) => s.seed(seedContacts(7, 50_000)));
    await setUp({ newestFirst: true }, prepare);
    sandbox.seed(seedContacts(1_000));
    const { node: n } = node([crmRecord(800)], 'scan');
    sandbox.resetCounts();
    const run = await runOnce(n);
    expect(gate.outOfOrder).toBe(true);
    // Contacts 800…806 were last on page 2 (newest first) before the insert.
    expect(run.counts).toEqual({ linked: 1 });
    expect(sandbox.counts()['POST /contacts'] ?? 0).toBe(0);
    for (let i = 0; i < 1_000; i++)
      expect(await store.findIndexed({ phone: phone(i), email: null })).toHaveLength(1);
    // At most two scans' list calls: the side-by-side pass (10 pages), then 1,007 contacts in order.
    expect(sandbox.counts()['GET /contacts']).toBeGreaterThan(10);
    expect(sandbox.counts()['GET /contacts']).toBeLessThanOrEqual(10 + 11);
  });

  it('a page Sahut keeps failing fails the scan: nothing is created from a partial index', async () => {
    let healthy = false;
    await setUp({}, (s) =>
      s.app.addHook('onRequest', async (request, reply) => {
        const page = new URL(request.url, 'http://x').searchParams.get('page');
        if (page !== '3' || healthy) return;
        return reply.code(503).send({ message: 'down' });
      }),
    );
    sandbox.seed(seedContacts(1_000));
    // Contact 999 is on the last page, which may be read before or after page 3 fails.
    const connector = createMemoryConnector([crmRecord(999), crmRecord(30_000)]);
    const config = { ...deployment.config, sahut: { ...deployment.config.sahut, maxRetries: 0 } };
    const n = startNode(config, store, [testConnection('crm', { match: 'scan' })], () => connector);
    try {
      const first = await runOnce(n);
      expect(first.status).toBe('failed');
      expect(sandbox.counts()['POST /contacts'] ?? 0).toBe(0);

      healthy = true;
      const again = await runOnce(n);
      expect(again.counts).toEqual({ linked: 1, created: 1 });
      expect(sandbox.contacts()).toHaveLength(1_001);
    } finally {
      await n.close();
    }
  });

  it('leaves a record whose phone two contacts share ambiguous, and reports the pair once', async () => {
    await setUp();
    sandbox.seed([
      { name: 'Budi', phone: '+6281299990000' },
      { name: 'Budi (WhatsApp)', phone: '0812 9999 0000' },
      ...seedContacts(30),
    ]);
    const { node: n } = node([{ id: 'budi', data: { name: 'Budi', phone: '081299990000' } }], 'scan');
    const run = await runOnce(n);
    expect(run.counts).toEqual({ ambiguous: 1, 'duplicate-suspected': 1 });
    const [pair] = (await store.queryAudit({ runId: run.id, action: 'duplicate-suspected', limit: 5 })).rows;
    const ids = sandbox
      .contacts()
      .slice(0, 2)
      .map((c) => c.id)
      .sort();
    expect(pair?.detail).toEqual({ pair: ids, by: 'phone' });
    expect(sandbox.contacts()).toHaveLength(32);

    // Scanned again (a stale index): the pair is not reported a second time.
    await store.finishScan('force-stale', { contacts: 0, pages: 0 }, new Date(0));
    const again = await runOnce(n, 'crm', 'crm-to-sahut');
    expect(again.counts['duplicate-suspected'] ?? 0).toBe(0);
  });

  it.each([
    ['a retried attempt', 5],
    ['the next run, carrying the failure', 1],
  ])(
    'a record whose POST landed but whose link was lost is found by a live search in %s',
    async (_, attempts) => {
      await setUp();
      sandbox.seed(seedContacts(20));
      const records = Array.from({ length: 5 }, (_, i) => crmRecord(40_000 + i));
      const connector = createMemoryConnector(records);
      // The first link save fails, as a worker killed between its POST and the link would.
      let lost = false;
      const crashing: Store = new Proxy(store, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (key !== 'upsertLink') return typeof value === 'function' ? value.bind(target) : value;
          return async (link: Parameters<Store['upsertLink']>[0]) => {
            if (!lost) {
              lost = true;
              throw new Error('killed after the POST');
            }
            return target.upsertLink(link);
          };
        },
      });
      const config = { ...deployment.config, worker: { ...deployment.config.worker, attempts } };
      const n = startNode(config, crashing, [testConnection('crm', { match: 'scan' })], () => connector);
      try {
        await runOnce(n);
        if (attempts === 1) await runOnce(n);
        const phones = sandbox.contacts().map((c) => c.phone);
        expect(phones).toHaveLength(25);
        expect(new Set(phones).size).toBe(25);
      } finally {
        await n.close();
      }
    },
  );

  describe('auto', () => {
    beforeEach(async () => {
      await setUp();
      sandbox.seed(seedContacts(1_000));
    });

    it('searches for a small delta', async () => {
      const { node: n } = node(
        Array.from({ length: 5 }, (_, i) => crmRecord(30_000 + i)),
        'auto',
      );
      sandbox.resetCounts();
      const run = await runOnce(n);
      expect(run.counts).toEqual({ created: 5 });
      // One call to learn the scan would take 10 pages; then a search per record.
      expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 + 5, 'POST /contacts': 5 });
      expect(run.match).toBe('search');
    });

    it('scans when the unlinked records clearly outnumber the scan', async () => {
      const { node: n } = node(
        Array.from({ length: 50 }, (_, i) => crmRecord(30_000 + i)),
        'auto',
      );
      sandbox.resetCounts();
      const run = await runOnce(n);
      expect(run.counts).toEqual({ created: 50 });
      // Up to the threshold (2 × 10 pages) nothing is handed out; then one scan of 10 pages,
      // whose page 1 is the list call that learned Sahut's size.
      expect(sandbox.counts()).toEqual({ 'GET /contacts': 10, 'POST /contacts': 50 });
      expect(run).toMatchObject({ match: 'scan', callsSaved: 50 - 10 });
    });
  });
});
