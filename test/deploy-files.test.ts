import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NODE_FLAGS } from '../src/cli/node-flags.ts';
import { ENV_KEYS, envSchema } from '../src/config/index.ts';
import { unknownArgs } from './helpers/cli.ts';
import { codeBlocks, docPages, ROOT } from './helpers/docs.ts';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('runs only commands and options the CLI has', () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(cmd[0]).toBe('worker');
    expect(unknownArgs(cmd)).toEqual([]);
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(entrypoint).toEqual(['tini', '--', 'node', ...NODE_FLAGS, 'dist/cli/main.js']);
  });

  it('sets only variables the config schema knows', () => {
    const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
    const keys = [...env.matchAll(/([A-Z_]+)=/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !ENV_KEYS.includes(k as (typeof ENV_KEYS)[number]))).toEqual([]);
  });

  it('builds on node:24-slim, runs as a non-root user, with a health check', () => {
    expect(dockerfile.match(/^FROM node:24-slim/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});

describe("a deployment's V8 flags (src/cli/node-flags.ts)", () => {
  it('start the sahut-sync bin and the bench', () => {
    const shebang = read('src/cli/main.ts').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.bench).toBe(`node ${NODE_FLAGS.join(' ')} bench/run.ts`);
  });

  it("are on every command of the docs' code blocks that starts node on the built CLI", () => {
    const commands = docPages()
      .flatMap((page) => codeBlocks(page).flatMap((b) => b.text.split('\n').map((l) => [page.path, l])))
      .filter(([, l]) => /\bnode .*dist\/cli\/main\.js/.test(l ?? ''));
    expect(commands.length).toBeGreaterThan(0);
    for (const [page, command] of commands)
      expect(command, page).toContain(`node ${NODE_FLAGS.join(' ')} dist/cli/main.js`);
  });

  it('are accepted by this Node on its command line', () => {
    const run = spawnSync(process.execPath, [...NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        command?: string[];
        environment?: Record<string, string>;
        init?: boolean;
        stop_grace_period?: string;
      }
    >;
  };
  const apps = Object.entries(compose.services).filter(([, s]) => s.image === 'sahut-sync:local');

  it('runs every role from the one image, with commands the CLI has', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(['dashboard', 'sandbox', 'scheduler', 'worker']);
    for (const [name, service] of apps) expect(unknownArgs(service.command ?? []), name).toEqual([]);
  });

  it('sets only variables the config schema knows', () => {
    for (const [name, service] of apps) {
      const unknown = Object.keys(service.environment ?? {}).filter(
        (k) => !ENV_KEYS.includes(k as (typeof ENV_KEYS)[number]),
      );
      expect(unknown, name).toEqual([]);
    }
  });

  it("puts no second init in front of the image's tini and waits out the drain on stop", () => {
    const graceMs = envSchema.parse({}).SHUTDOWN_GRACE_MS;
    for (const [name, service] of apps) {
      expect(service.init, name).toBeUndefined();
      const stopSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1] ?? 10);
      expect(stopSeconds * 1000, name).toBeGreaterThan(graceMs);
    }
  });

  it('keeps Redis from evicting jobs and persists it', () => {
    const redis = compose.services.redis?.command?.join(' ');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--appendonly yes');
  });

  it('bakes in no secret: passwords come from .env', () => {
    const text = read('docker-compose.yml');
    expect(text).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?/);
    expect(text).toMatch(/DASHBOARD_PASSWORD: \$\{DASHBOARD_PASSWORD:\?/);
  });
});
