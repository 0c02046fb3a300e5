import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../src/search/index.ts';
import type { Link, Store } from '../src/store/index.ts';
import { nextPrefix } from '../src/store/link-search.ts';
import { runCli } from './helpers/cli.ts';
import { privateStore, type StoreKind } from './helpers/env.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

describe('what a search box entry means', () => {
  it.each([
    ['+62812', { phonePrefix: '+62812' }],
    ['+62 812-34', { phonePrefix: '+6281234' }],
    ['0812 3456', { phoneDigits: '08123456', phonePrefix: '+628123456' }],
    ['3456 7789', { phoneDigits: '34567789' }],
    ['081', {}],
    ['budi@', { emailPart: 'budi@' }],
    ['budi@example', { emailPart: 'budi@example' }],
    ['Budi', { emailPart: 'Budi', namePart: 'Budi' }],
    ['Budi Santoso', { namePart: 'Budi Santoso' }],
    ['bu', { namePart: 'bu' }],
  ])('%j is looked for in part as %j', (q, partial) => {
    expect(searchTerms(q, 'ID').partial).toEqual(partial);
  });

  it('still looks for exact identities, a typed phone normalised', () => {
    expect(searchTerms(' 0812-3456-7789 ', 'ID').exact).toEqual({
      crmId: '0812-3456-7789',
      sahutId: '0812-3456-7789',
      phone: '+6281234567789',
      email: '0812-3456-7789',
    });
  });

  it.each([
    ['+62812', '+62813'],
    ['+6289', '+629'],
    ['+62899', '+629'],
    ['+6999', '+7'],
    ['+999', null],
  ])('the phone range after %s ends before %s', (prefix, next) => {
    expect(nextPrefix(prefix)).toBe(next);
  });
});

const PHONE = '+6281234567789';
const link = (connection: string, crmId: string, over: Partial<Link>): Link => ({
  connection,
  crmId,
  sahutId: `ct_${crmId}`,
  phone: null,
  email: null,
  base: {},
  crmHash: 'h',
  sahutHash: 'h',
  syncedAt: new Date(),
  ...over,
});

async function seed(store: Store) {
  await store.startRun({ id: 'run-s', connection: 'main', direction: 'crm-to-sahut', dryRun: false });
  await store.upsertLink(
    link('main', 'crm-budi', {
      phone: PHONE,
      email: 'budi.santoso@example.com',
      base: { name: 'Budi Santoso' },
    }),
  );
  await store.upsertLink(
    link('main', 'crm-siti', {
      phone: '+6285700001111',
      email: 'siti@contoh.id',
      base: { name: 'Siti Rahma' },
    }),
  );
  // 21 records sharing a prefix: more than one search shows.
  for (let i = 0; i < 21; i++)
    await store.upsertLink(link('bulk', `crm-b${i}`, { phone: `+6289900000${String(i).padStart(3, '0')}` }));
  const row = {
    runId: 'run-s',
    jobId: null,
    connection: 'main',
    direction: 'crm-to-sahut' as const,
    attempt: 1,
  };
  await store.appendAudit([
    { ...row, crmId: 'crm-budi', sahutId: 'ct_crm-budi', action: 'created', diff: null, error: null },
    { ...row, crmId: 'crm-siti', sahutId: 'ct_crm-siti', action: 'created', diff: null, error: null },
  ]);
}

const BUDI = [
  '0812 3456',
  '+62812345',
  '3456 7789',
  'budi.santoso@',
  'santoso@example',
  'Budi',
  'bUDI sANTOSO',
];

describe.each<StoreKind>(['sqlite', 'postgres'])('the audit search on the %s store', (kind) => {
  let harness: Harness;
  let url: string;
  let env: Record<string, string>;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    harness = await createHarness();
    const own = await privateStore(kind);
    ({ env, dispose } = own);
    await seed(own.store);
    url = (await harness.start({ store: own.store })).url;
  });
  afterAll(async () => {
    await harness?.close();
    await dispose?.();
  });

  const search = async (q: string) => {
    const res = await fetch(`${url}/audit?q=${encodeURIComponent(q)}`, {
      headers: { authorization: basic() },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    // The history table's CRM id cells (the direction cell reads crm-to-sahut).
    const records = [...text.matchAll(/<td>(crm-(?!to-)[\w-]+)<\/td>/g)].map((m) => m[1]);
    const history = text.slice(text.indexOf('data-testid="history-table"'));
    return {
      text,
      records: [...new Set(records)],
      historyRecords: history.match(/<td>crm-(?!to-)[\w-]+<\/td>/g),
    };
  };

  it.each(BUDI)('finds the record by %j on the /audit page, and only it', async (q) => {
    const { records, text, historyRecords } = await search(q);
    expect(records).toEqual(['crm-budi']);
    expect(historyRecords).toEqual(['<td>crm-budi</td>']);
    expect(text).toContain('data-testid="links-table"');
    expect(text).not.toContain('id="more-links"');
  });

  it('says so when more records match than it shows', async () => {
    const { text } = await search('+62899');
    expect((text.match(/<td>crm-b\d+<\/td>/g) ?? []).length).toBe(20);
    expect(text).toContain('id="more-links"');
  });

  it('finds it the same way from the CLI, and --identity stays exact', async () => {
    for (const q of ['0812 3456', 'Budi']) {
      const out = await runCli(['audit', '--search', q, '--json'], env);
      expect(out.code, out.output).toBe(0);
      const { rows } = JSON.parse(out.output) as { rows: { crmId: string }[] };
      expect(rows.map((r) => r.crmId)).toEqual(['crm-budi']);
    }
    const exact = await runCli(['audit', '--identity', '0812-3456-7789'], env);
    expect(exact.output).toMatch(/crm-budi/);
    const partial = await runCli(['audit', '--identity', '0812 3456'], env);
    expect(partial.output).not.toMatch(/crm-budi/);
    const both = await runCli(['audit', '--search', 'Budi', '--crm-id', 'x'], env);
    expect(both.code).not.toBe(0);
    expect(both.output).toMatch(/--search <text>' cannot be used with option '--crm-id/);
  });
});
