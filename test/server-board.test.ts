import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../src/queue/index.ts';
import { deletePrefix } from './helpers/env.ts';
import { basic, createHarness, type Harness } from './server-fixtures.ts';

let harness: Harness | undefined;
const queues: Queue[] = [];
const otherPrefixes: string[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const p of otherPrefixes.splice(0)) await deletePrefix(p);
  await harness?.close();
  harness = undefined;
});

const SECRET_JOB_DATA = {
  connection: 'main',
  apiKey: 'sk_live_job_secret_1',
  request: { headers: { Authorization: 'Bearer job-secret-2' }, password: 'job-secret-3' },
  record: { id: 'crm-1', data: { phone: '+6281234567789', email: 'budi@example.com', name: 'Budi Santoso' } },
};

async function boardFor(env: Record<string, string>) {
  harness = await createHarness(env);
  const server = await harness.start();
  const h = harness;
  const queue = (name: string, prefix = h.prefix) => {
    const q = new Queue(name, { connection: h.deps.redis, prefix });
    queues.push(q);
    return q;
  };
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}/admin/queues/api${path}`, {
      ...init,
      headers: { authorization: basic() },
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
  };
  const listed = async () => ((await api('/queues')).body as { queues: BoardQueue[] }).queues;
  const jobData = async (queueName: string, id: string | undefined) =>
    ((await api(`/queues/${queueName}/${id}`)).body as { job: { data: typeof SECRET_JOB_DATA } }).job.data;
  return { queue, api, listed, jobData };
}

interface BoardQueue {
  name: string;
  description?: string;
  counts: Record<string, number>;
  readOnlyMode: boolean;
  jobs: { id: string; data: unknown }[];
}

describe('Bull Board', () => {
  it("lists exactly the deployment's queues, read under its own prefix", async () => {
    const { queue, api, listed } = await boardFor({});
    await queue(QUEUES.runs).add('run', { connection: 'main' });
    const foreign = `test-server-other-${randomUUID().slice(0, 8)}`;
    otherPrefixes.push(foreign);
    await queue(QUEUES.runs, foreign).add('run', { connection: 'elsewhere' });
    await queue(QUEUES.runs, foreign).add('run', { connection: 'elsewhere' });

    expect((await api('/queues')).status).toBe(200);
    const board = await listed();
    expect(board.map((q) => q.name).sort()).toEqual(Object.values(QUEUES).sort());
    const runs = board.find((q) => q.name === QUEUES.runs);
    expect(runs?.counts.waiting).toBe(1);
    expect(runs?.description).toContain(harness?.prefix);
    expect(board.find((q) => q.name === QUEUES.records)?.counts.waiting).toBe(0);
  });

  it('read-only mode refuses writes with 405 and changes nothing', async () => {
    const { queue, api, listed } = await boardFor({ DASHBOARD_READ_ONLY: 'true' });
    const runs = queue(QUEUES.runs);
    await runs.add('run', { connection: 'main' });
    expect((await listed()).every((q) => q.readOnlyMode)).toBe(true);
    expect((await api(`/queues/${QUEUES.runs}/pause`, { method: 'PUT' })).status).toBe(405);
    expect((await api(`/queues/${QUEUES.runs}/retry/failed`, { method: 'PUT' })).status).toBe(405);
    expect((await api(`/queues/${QUEUES.runs}/empty`, { method: 'PUT' })).status).toBe(405);
    expect(await runs.isPaused()).toBe(false);
    expect(await runs.getWaitingCount()).toBe(1);
  });

  it('read-only mode refuses pause-all and resume-all too, from the catalogue', async () => {
    const { queue, api } = await boardFor({ DASHBOARD_READ_ONLY: 'true' });
    const runs = queue(QUEUES.runs);
    await runs.waitUntilReady();
    for (const action of ['pause', 'resume']) {
      const res = await api(`/queues/${action}`, { method: 'PUT' });
      expect(res.status, action).toBe(405);
      expect(res.body).toMatchObject({ statusCode: 405, code: 'READ_ONLY' });
    }
    expect(await runs.isPaused()).toBe(false);
    // Reads still work.
    expect((await api('/queues')).status).toBe(200);
  });

  it('without read-only mode the same write goes through', async () => {
    const { queue, api } = await boardFor({ DASHBOARD_READ_ONLY: 'false' });
    const runs = queue(QUEUES.runs);
    await runs.waitUntilReady();
    const res = await api(`/queues/${QUEUES.runs}/pause`, { method: 'PUT' });
    expect(res.status).toBeLessThan(300);
    expect(await runs.isPaused()).toBe(true);
  });

  it('redacts secrets in job data always, and leaves PII readable unless asked', async () => {
    const { queue, api, jobData } = await boardFor({ DASHBOARD_REDACT_PII: 'false' });
    const job = await queue(QUEUES.runs).add('run', SECRET_JOB_DATA);
    const data = await jobData(QUEUES.runs, job.id);
    expect(data.apiKey).toBe('[REDACTED]');
    expect(data.request).toEqual({ headers: { Authorization: '[REDACTED]' }, password: '[REDACTED]' });
    expect(data.record).toEqual(SECRET_JOB_DATA.record);
    expect(data.connection).toBe('main');

    const listing = await api(`/queues?activeQueue=${QUEUES.runs}&status=waiting&page=1&jobsPerPage=10`);
    const text = JSON.stringify(listing.body);
    expect(text).toContain('crm-1');
    for (const secret of ['sk_live_job_secret_1', 'job-secret-2', 'job-secret-3'])
      expect(text).not.toContain(secret);
  });

  it('masks phones, emails and names with DASHBOARD_REDACT_PII', async () => {
    const { queue, jobData } = await boardFor({ DASHBOARD_REDACT_PII: 'true' });
    const job = await queue(QUEUES.records).add('record', {
      ...SECRET_JOB_DATA,
      record: { id: 'crm-1', data: { ...SECRET_JOB_DATA.record.data, no_hp: '0812-3456-7789', note: 'vip' } },
    });
    const data = await jobData(QUEUES.records, job.id);
    expect(data.record).toEqual({
      id: 'crm-1',
      data: {
        phone: '+62812****789',
        email: 'b***@example.com',
        name: 'B*** S***',
        no_hp: '081234****789',
        note: 'vip',
      },
    });
    expect(data.apiKey).toBe('[REDACTED]');
  });
});
