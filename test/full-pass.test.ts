import { afterEach, describe, expect, it } from 'vitest';
import { scanPass } from '../src/queue/index.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

describe('how long a full pass over Sahut takes', () => {
  it('is one list call per 100 contacts, at the paced rate alone or at the scans share while writes wait', () => {
    // 1,000,000 contacts, 10 req/s paced at 9.7: 10,000 calls in 1,031 s alone, 5,155 s at a fifth.
    const pass = scanPass(1_000_000, 10, 0.2);
    expect(pass.pages).toBe(10_000);
    expect(pass.aloneSeconds).toBeCloseTo(10_000 / 9.7, 6);
    expect(pass.sharedSeconds).toBeCloseTo(10_000 / 9.7 / 0.2, 6);
    expect(scanPass(0, 10, 0.2).pages).toBe(1);
  });

  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('is on the sync health page at the last scan count and today s limit and share', async () => {
    harness = await createHarness({ SAHUT_RATE_LIMIT: '10', SCAN_RATE_SHARE: '0.2' });
    const server = await harness.start();
    const page = async () => (await fetch(`${server.url}/`, { headers: { authorization: basic() } })).text();
    expect(await page()).toContain('no complete scan yet');
    await harness.store.startScan('scan-1', new Date());
    await harness.store.finishScan('scan-1', { contacts: 1_000_000, pages: 10_000 }, new Date());
    const text = (await page()).replace(/\s+/g, ' ');
    expect(text).toContain('<strong>1000000</strong> contacts');
    expect(text).toContain('10000 list calls');
    expect(text).toContain('<strong>18 min</strong> alone at SAHUT_RATE_LIMIT=10');
    expect(text).toContain('<strong>86 min</strong> while record writes wait (SCAN_RATE_SHARE=0.2)');
  });
});
