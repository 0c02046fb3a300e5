import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics/index.ts';
import { hasPeer } from './helpers/peers.ts';

const RULES_DIR = new URL('../deploy/prometheus/', import.meta.url).pathname;
/** Metrics a rule is written against before the app exports them. */
const PENDING = new Set<string>();

function promtool(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/promtool', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += String(d);
    });
    child.stderr.on('data', (d) => {
      output += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('deploy/prometheus/alerts.yml', () => {
  it('is written against metrics the app exports', async () => {
    const rules = await readFile(join(RULES_DIR, 'alerts.yml'), 'utf8');
    const used = new Set(rules.match(/\bsahut_sync_[a-z_]+\b/g));
    const exported = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...used].filter((name) => !exported.has(name) && !PENDING.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  describe.skipIf(!hasPeer('/usr/bin/promtool', 'prometheus'))('with promtool', () => {
    it('passes promtool check rules and its unit tests', async () => {
      const checked = await promtool(['check', 'rules', 'alerts.yml'], RULES_DIR);
      expect(checked.code, checked.output).toBe(0);
      const tested = await promtool(['test', 'rules', 'alerts.test.yml'], RULES_DIR);
      expect(tested.code, tested.output).toBe(0);
      expect(tested.output).toContain('SUCCESS');
    });

    it('has unit tests that fail when a rule changes', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sahut-alerts-'));
      try {
        await cp(RULES_DIR, dir, { recursive: true });
        const rules = await readFile(join(dir, 'alerts.yml'), 'utf8');
        const weakened = rules.replace('> 2 * 3600', '> 4 * 3600');
        expect(weakened).not.toBe(rules);
        await writeFile(join(dir, 'alerts.yml'), weakened);
        const tested = await promtool(['test', 'rules', 'alerts.test.yml'], dir);
        expect(tested.code).not.toBe(0);
        expect(tested.output).toContain('SahutSyncNoSuccessfulRun');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
