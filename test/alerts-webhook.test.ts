import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertEvent, createNotifier, type Notifier } from '../src/alerts/index.ts';
import { createMemoryConnector } from '../src/crm/memory/index.ts';
import { enqueueRun } from '../src/queue/index.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { startNode, testConnection } from './helpers/engine.ts';
import { API_KEY, deletePrefix, privateStore, testConfig, uniqueName } from './helpers/env.ts';
import { capturingLogger } from './helpers/log-capture.ts';

interface Received {
  body: Record<string, unknown>;
  status: number;
}

/**
 * A local webhook receiver. `script` gives the status of each request in turn
 * (then 200); 0 drops the connection. `next(n)` resolves once n requests came.
 */
async function receiver(script: number[] = []) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const status = script.shift() ?? 200;
    received.push({ body: JSON.parse(text) as Record<string, unknown>, status });
    for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
    if (status === 0) {
      req.socket.destroy();
      return;
    }
    res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/T000/B000/secret-path-token`,
    received,
    next: (n: number) =>
      new Promise<void>((resolve) => {
        if (received.length >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;

const { log, lines } = capturingLogger('debug');

const FAST = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };
const runFailed: AlertEvent = {
  kind: 'run-failed',
  connection: 'crm',
  direction: 'crm-to-sahut',
  runId: 'run-20261129-1',
  error: `CRM unreachable with key ${API_KEY}; last record budi@example.com, phone +6281234567789`,
};

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  lines.splice(0);
});

async function setUp(format: 'json' | 'slack', script: number[] = [], retry = {}) {
  const hook: Receiver = await receiver(script);
  const notifier: Notifier = createNotifier({
    url: hook.url,
    format,
    secrets: [API_KEY, hook.url],
    log,
    retry: { ...FAST, ...retry },
  });
  closers.push(hook.close, () => notifier.close());
  return { hook, notifier };
}

describe('alert webhook', () => {
  it('sends one JSON notification per event, with no secret and no PII in it', async () => {
    const { hook, notifier } = await setUp('json');
    const attention: AlertEvent = {
      kind: 'attention',
      connection: 'crm',
      direction: 'crm-to-sahut',
      runId: 'run-20261129-1',
      records: [
        {
          kind: 'ambiguous',
          crmId: 'C0001',
          sahutId: null,
          reason: 'phone +6281234567789 matches ct_1, ct_2',
        },
        { kind: 'rejected', crmId: 'C0002', sahutId: null, reason: 'invalid email "budi@@example"' },
      ],
    };
    await Promise.all([notifier.notify(runFailed), notifier.notify(attention)]);
    expect(hook.received).toHaveLength(2);
    const [failed, added] = [...hook.received]
      .map((r) => r.body)
      .sort((a, b) => String(a.event).localeCompare(String(b.event)));
    expect(failed).toEqual({
      event: 'attention.added',
      summary: 'sahut-sync: 2 record(s) of crm (crm-to-sahut) need attention: 1 ambiguous, 1 rejected',
      connection: 'crm',
      direction: 'crm-to-sahut',
      run_id: 'run-20261129-1',
      counts: { ambiguous: 1, rejected: 1 },
      records: [
        {
          kind: 'ambiguous',
          crm_id: 'C0001',
          sahut_id: null,
          reason: 'phone +62812****789 matches ct_1, ct_2',
        },
        { kind: 'rejected', crm_id: 'C0002', sahut_id: null, reason: 'invalid email "b***@example"' },
      ],
      more: 0,
      at: expect.any(String),
    });
    expect(added).toMatchObject({
      event: 'run.failed',
      summary: 'sahut-sync: run run-20261129-1 of crm (crm-to-sahut) failed',
      run_id: 'run-20261129-1',
      error: 'CRM unreachable with key [REDACTED]; last record b***@example.com, phone +62812****789',
    });
    const everything = JSON.stringify(hook.received) + lines.join('');
    for (const secret of [API_KEY, 'secret-path-token', 'budi@example.com', '6281234567789'])
      expect(everything).not.toContain(secret);
  });

  it('writes a Slack-compatible body, mentions escaped', async () => {
    const { hook, notifier } = await setUp('slack');
    await notifier.notify({ ...runFailed, error: 'boom <!channel> & <https://evil.example|click>' });
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]?.body).toEqual({
      text: 'sahut-sync: run run-20261129-1 of crm (crm-to-sahut) failed\n>boom &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;',
    });
  });

  it('retries with backoff when the receiver fails first, and delivers once', async () => {
    const { hook, notifier } = await setUp('json', [503, 0, 429, 500]);
    await notifier.notify(runFailed);
    expect(hook.received.map((r) => r.status)).toEqual([503, 0, 429, 500, 200]);
    expect(new Set(hook.received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; tries?: number });
    expect(logged.filter((l) => l.msg === 'alert webhook notified').map((l) => l.tries)).toEqual([5]);
  });

  it('gives up at once on a refusal, and after its attempts otherwise, without throwing', async () => {
    const refused = await setUp('json', [400]);
    await refused.notifier.notify(runFailed);
    expect(refused.hook.received).toHaveLength(1);
    const down = await setUp('json', [503, 503, 503, 503], { attempts: 3 });
    await down.notifier.notify(runFailed);
    expect(down.hook.received).toHaveLength(3);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string; level: number });
    expect(warnings.filter((l) => l.msg === 'alert webhook not notified').map((l) => l.reason)).toEqual([
      'HTTP 400',
      'HTTP 503',
    ]);
  });

  it('does nothing without ALERT_WEBHOOK_URL', async () => {
    const notifier = createNotifier({ url: undefined, format: 'json', secrets: [], log });
    await expect(notifier.notify(runFailed)).resolves.toBeUndefined();
    await notifier.close();
  });

  it('is sent by a worker when a run fails for good, once', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const { sandbox, baseUrl } = await startSandbox({ apiKey: API_KEY });
    closers.push(() => sandbox.close());
    const store = await privateStore('sqlite');
    closers.push(store.dispose);
    const prefix = uniqueName('alerts');
    closers.push(() => deletePrefix(prefix));
    const config = testConfig({
      ...store.env,
      SAHUT_BASE_URL: baseUrl,
      QUEUE_PREFIX: prefix,
      ALERT_WEBHOOK_URL: hook.url,
    });
    const crm = createMemoryConnector();
    const broken = {
      ...crm,
      // biome-ignore lint/correctness/useYield: a source that fails before its first record
      read: async function* () {
        throw new Error(`CRM refused key ${API_KEY}`);
      },
    };
    const node = startNode(config, store.store, [testConnection('crm')], () => broken as never, 1);
    closers.push(() => node.close());
    await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    await hook.next(1);
    expect(hook.received[0]?.body).toMatchObject({
      event: 'run.failed',
      connection: 'crm',
      direction: 'crm-to-sahut',
      error: 'CRM refused key [REDACTED]',
    });
    // Its earlier attempts were retried, not reported: once the workers stopped and the
    // notifications in flight settled, there is still only the one.
    await node.workers.close(10_000);
    await node.rt.alerts.close();
    expect(hook.received).toHaveLength(1);
  });
});
