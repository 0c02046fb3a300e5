import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { redisChecks } from '../src/doctor/redis.ts';
import { checkRedis } from '../src/redis/index.ts';
import { openStore } from '../src/store/index.ts';
import {
  type CliProcess,
  cliDeployment,
  csvCrm,
  csvRow,
  runCli,
  runSummaries,
  spawnCli,
} from './helpers/cli.ts';
import { until } from './helpers/env.ts';
import { hasPeer } from './helpers/peers.ts';
import { REDIS_SERVER, type SentinelGroup, sparePort, startSentinelGroup } from './helpers/redis-topology.ts';

const RECORDS = 3000;
const PASSWORD = 'board-pass-Zq81x';

describe.runIf(hasPeer(REDIS_SERVER, 'redis-server'))(
  'Redis Sentinel: a primary, a replica, three sentinels',
  () => {
    let group: SentinelGroup;
    const processes: CliProcess[] = [];

    beforeAll(async () => {
      group = await startSentinelGroup();
    });

    afterAll(async () => {
      for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
      await group?.dispose();
    });

    const spawn = (args: string[], env: Record<string, string>) => {
      const p = spawnCli(args, env);
      processes.push(p);
      // What each process said, when the test fails: the story of the failover.
      onTestFailed(() => {
        process.stderr.write(`\n--- sahut-sync ${args.join(' ')} (last lines)\n${p.output().slice(-4000)}\n`);
      });
      return p;
    };

    /** Lines a process logged (JSON) with the given message, after `since`. */
    const logged = (p: CliProcess, msg: string, since = 0) =>
      p
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; time: number })
        .filter((l) => l.msg === msg && l.time > since);

    const status = async (url: string, headers: Record<string, string> = {}) => {
      try {
        return (await fetch(url, { headers, signal: AbortSignal.timeout(3000) })).status;
      } catch {
        return 0;
      }
    };

    it('the start-up check finds the primary through the sentinels, names the settings when none answers, refuses a replica', async () => {
      const settings = loadConfig({ REDIS_SENTINELS: group.sentinelList }).redis.connection;
      await expect(checkRedis(settings)).resolves.toBeUndefined();
      const nowhere = loadConfig({ REDIS_SENTINELS: `127.0.0.1:${await sparePort()}` }).redis.connection;
      await expect(checkRedis(nowhere)).rejects.toThrow(
        /Redis is unreachable at primary "mymaster" of the sentinels 127\.0\.0\.1:\d+ \(REDIS_SENTINELS, REDIS_SENTINEL_MASTER\)/,
      );
      // The replica given as a single node would fail every write with READONLY.
      const replica = loadConfig({ REDIS_URL: `redis://127.0.0.1:${group.replica.port}` }).redis.connection;
      await expect(checkRedis(replica)).rejects.toThrow(
        /is a read-only replica: point REDIS_URL at the primary, or set REDIS_SENTINELS/,
      );
      // doctor says the same, beside the rest of what it found.
      const checks = await redisChecks(loadConfig({ REDIS_SENTINELS: group.sentinelList }));
      expect(checks.find((c) => c.name === 'reachable')?.detail).toMatch(
        new RegExp(`^primary "mymaster" of the sentinels .*: primary 127\\.0\\.0\\.1:${group.primary.port}$`),
      );
      expect(checks.find((c) => c.name === 'shape')).toMatchObject({
        status: 'ok',
        detail: 'the primary the sentinels name',
      });
      const onReplica = await redisChecks(
        loadConfig({ REDIS_URL: `redis://127.0.0.1:${group.replica.port}` }),
      );
      expect(onReplica.find((c) => c.name === 'shape')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/is a read-only replica/),
      });
    });

    it('the primary is SIGKILLed mid-run with two workers: the replica is promoted and the run completes, 0 missing, 0 duplicate', async () => {
      const deployment = await cliDeployment({
        REDIS_SENTINELS: group.sentinelList,
        REDIS_SENTINEL_MASTER: group.master,
        SAHUT_RATE_LIMIT: '600',
        WORKER_CONCURRENCY: '16',
        JOB_LOCK_MS: '5000',
        LOG_LEVEL: 'info',
        DASHBOARD_PASSWORD: PASSWORD,
      });
      // A second connection with a schedule far enough away never to fire here: the scheduler only keeps it in Redis.
      const crm = await csvCrm(
        '  yearly:\n    source: { type: file, path: contacts.csv, format: csv }\n    mapping: mapping.yaml\n' +
          '    schedule: { cron: "0 0 0 1 1 *" }\n',
      );
      const env: Record<string, string> = { ...deployment.env, SYNC_CONFIG: crm.configPath };
      try {
        await crm.write(Array.from({ length: RECORDS }, (_, i) => csvRow(i)));
        const [workerPort, servePort] = [await sparePort(), await sparePort()];
        const worker = spawn(['worker', '--http-port', String(workerPort)], env);
        const serve = spawn(['serve', '--port', String(servePort)], env);
        const scheduler = spawn(['scheduler', '--interval', '1'], env);
        const ready = (port: number) => status(`http://127.0.0.1:${port}/readyz`);
        const board = () =>
          status(`http://127.0.0.1:${servePort}/admin/queues/api/queues`, {
            authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
          });
        await until(
          async () => (await ready(workerPort)) === 200 && (await ready(servePort)) === 200,
          30_000,
          'readyz',
        );
        await until(
          () => logged(scheduler, 'schedules applied').length > 0,
          30_000,
          'the scheduler to start',
        );

        const once = spawn(['run', '--once', '--connection', 'crm'], env);
        await until(
          () => deployment.sandbox.contacts().length >= RECORDS / 5,
          120_000,
          'the run to be well under way',
        );
        const before = await group.primaryAddress();
        group.primary.child.kill('SIGKILL');
        const killedAt = Date.now();
        expect(deployment.sandbox.contacts().length).toBeLessThan(RECORDS);

        // Not ready while there is no primary, ready again once the sentinels promoted the replica.
        await until(
          async () => (await ready(workerPort)) === 503,
          30_000,
          'the worker to report Redis unreachable',
        );
        await until(
          async () => (await ready(servePort)) === 503,
          30_000,
          'the dashboard to report Redis unreachable',
        );
        await until(
          async () => (await group.primaryAddress()) !== before,
          30_000,
          'the sentinels to promote the replica',
        );
        expect(await group.primaryAddress()).toBe(`127.0.0.1:${group.replica.port}`);
        await until(async () => (await ready(workerPort)) === 200, 30_000, 'the worker to be ready again');
        await until(async () => (await ready(servePort)) === 200, 30_000, 'the dashboard to be ready again');
        await until(async () => (await board()) === 200, 30_000, 'the board to answer again');
        await until(
          () => logged(scheduler, 'schedules applied', killedAt + 1000).length > 0,
          30_000,
          'the scheduler to apply schedules on the new primary',
        );

        const first = await Promise.race([
          once.exited,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 120_000)),
        ]);
        let summary = once.output();
        if (first?.code !== 0) {
          // The failover lost writes the run needed: the next run --once completes the sync.
          if (!first) once.child.kill('SIGKILL');
          const again = await runCli(['run', '--once', '--connection', 'crm'], env);
          summary = again.output;
          expect(again.code, `first run --once: ${once.output().slice(-3000)}\nsecond: ${again.output}`).toBe(
            0,
          );
        }
        expect(runSummaries(summary)).toEqual([
          expect.objectContaining({ direction: 'crm-to-sahut', status: 'succeeded' }),
        ]);

        const phones = deployment.sandbox.contacts().map((c) => c.phone);
        expect(phones).toHaveLength(RECORDS);
        expect(new Set(phones).size).toBe(RECORDS);

        // The books balance: every record read is counted once, by its latest action.
        const store = await openStore({ kind: 'sqlite', path: env.SQLITE_PATH as string });
        try {
          const runs = await store.listRuns({ limit: 10 });
          const last = runs[0];
          expect(last?.status).toBe('succeeded');
          const counted = Object.values(last?.counts ?? {}).reduce((n, c) => n + (c ?? 0), 0);
          expect(counted).toBe(last?.total);
          expect(runs.filter((r) => r.status === 'running')).toEqual([]);
        } finally {
          await store.close();
        }
        // Every process rode through the failover: none exited.
        for (const p of [worker, serve, scheduler]) expect(p.child.exitCode).toBeNull();
      } finally {
        await crm.dispose();
        await deployment.dispose();
      }
    }, 300_000);
  },
);
