import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryConnector } from '../src/crm/index.ts';
import {
  enqueueRun,
  findRunInFlight,
  RunNeverStartedError,
  type Runtime,
  syncSchedules,
  waitForRun,
} from '../src/queue/index.ts';
import type { Sandbox } from '../src/sandbox/index.ts';
import type { Run } from '../src/store/index.ts';
import { type EngineDeployment, engineDeployment, type Node, testConnection } from './helpers/engine.ts';
import { until } from './helpers/env.ts';

describe('one run per connection at a time', () => {
  let deployment: EngineDeployment;
  let sandbox: Sandbox;
  let node: Node;
  // While closed, the sandbox holds every POST: a run stays in flight for as long as a test needs.
  let gate: { held: number; opened: Promise<void>; open(): void } | null;

  beforeEach(async () => {
    gate = null;
    deployment = await engineDeployment('sqlite', { faults: { latencyMs: 30 } }, (s) =>
      s.app.addHook('onRequest', async (request) => {
        if (gate && request.method === 'POST') {
          gate.held += 1;
          await gate.opened;
        }
      }),
    );
    sandbox = deployment.sandbox;
    const records = Array.from({ length: 40 }, (_, i) => ({
      id: `c${i}`,
      data: { name: `C ${i}`, phone: `0812${String(5_000_000 + i)}` },
    }));
    const connector = createMemoryConnector(records);
    const twoWay = { ...testConnection(), directions: ['crm-to-sahut' as const, 'sahut-to-crm' as const] };
    node = deployment.node([twoWay], () => connector);
  });

  afterEach(() => deployment.dispose());

  const scheduledRun = (direction: string) =>
    node.rt.queues.runs.add('run', { connection: 'crm', direction, trigger: 'schedule' });

  it('tells a run in flight from the next run a job scheduler keeps waiting', async () => {
    const scheduled = { ...node.rt.connection('crm'), schedule: { cron: '0 0 1 1 *', tz: 'UTC' } };
    await syncSchedules(node.rt.queues.runs, [scheduled]);
    expect(await node.rt.queues.runs.getDelayedCount()).toBe(2);
    expect(await findRunInFlight(node.rt, 'crm', 'crm-to-sahut')).toBeNull();

    const started = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    expect((await findRunInFlight(node.rt, 'crm', 'crm-to-sahut'))?.runId).toBe(started.runId);
    expect(await findRunInFlight(node.rt, 'crm', 'sahut-to-crm')).toBeNull();
    await waitForRun(node.rt, started.job, started.runId);
    expect(await findRunInFlight(node.rt, 'crm', 'crm-to-sahut')).toBeNull();
  });

  it('queues a second run started by hand behind the first, and skips a scheduled one', async () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    gate = { held: 0, opened, open };
    const first = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    const second = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    await until(() => (gate?.held ?? 0) > 0, 20_000, 'a run to be under way');
    const scheduled = await scheduledRun('crm-to-sahut');
    // Settled while the run is certainly still going, whatever the machine's pace.
    const skipped = await returnValue(node.rt, scheduled);
    gate.open();
    const runs = await Promise.all([
      waitForRun(node.rt, first.job, first.runId),
      waitForRun(node.rt, second.job, second.runId),
    ]);

    // Whichever claimed the connection first synced everything; the other read from the cursor it left.
    const [earlier, later] = runs.sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime()) as [Run, Run];
    expect(earlier.counts).toEqual({ created: 40 });
    expect(later.total).toBe(0);
    expect(later.startedAt.getTime()).toBeGreaterThanOrEqual((earlier.finishedAt as Date).getTime());
    expect(sandbox.contacts()).toHaveLength(40);
    expect(skipped).toMatchObject({
      runId: null,
      skippedFor: expect.any(String),
    });
    expect(await deployment.store.listRuns({ connection: 'crm', limit: 10 })).toHaveLength(2);
  });

  it('lets a scheduled run of the other direction wait its turn instead of skipping it', async () => {
    const first = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    await until(() => sandbox.contacts().length >= 5, 20_000, 'a run to be under way');
    const scheduled = await scheduledRun('sahut-to-crm');
    const pushed = await waitForRun(node.rt, first.job, first.runId);

    const scan = (await returnValue(node.rt, scheduled)) as { runId: string };
    expect(scan.runId).toMatch(/^run-/);
    const scanned = await deployment.store.getRun(scan.runId);
    expect(scanned).toMatchObject({
      direction: 'sahut-to-crm',
      status: 'succeeded',
      counts: { unchanged: 40 },
    });
    expect((scanned as Run).startedAt.getTime()).toBeGreaterThanOrEqual(
      (pushed.finishedAt as Date).getTime(),
    );
  });

  it('a run whose job Redis loses before any worker starts it is reported as never started, so run --once can enqueue it again', async () => {
    // No worker may take the job before it is gone, as when a failover drops its last writes.
    await node.workers.close();
    const { job, runId } = await enqueueRun(node.rt, 'crm', 'crm-to-sahut');
    await job.remove();
    const ended = waitForRun(node.rt, job, runId, undefined, 50);
    await expect(ended).rejects.toBeInstanceOf(RunNeverStartedError);
    await expect(ended).rejects.toThrow(`run ${runId} vanished from Redis before any worker started it`);
    expect(await deployment.store.getRun(runId)).toBeNull();
    expect(sandbox.counts()).toEqual({});
  });
});

/** The job's return value once it completed: read after its state, or a job completing in between reads as null. */
async function returnValue(rt: Runtime, job: Job): Promise<unknown> {
  const id = job.id as string;
  await until(async () => (await rt.queues.runs.getJobState(id)) === 'completed');
  return (await rt.queues.runs.getJob(id))?.returnvalue;
}
