// Worker thread for store-sqlite.test.ts: opens the store, says "ready", and
// migrates on the signal, so several threads race on one fresh file.
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { openStore } from '../src/store/index.ts';

const { path } = z.object({ path: z.string() }).parse(workerData);
const port = parentPort;
if (!port) throw new Error('store-migrate-worker must run as a worker thread');

const store = await openStore({ kind: 'sqlite', path });
port.once('message', async () => {
  const outcome = await store.migrate().then(
    () => 'migrated',
    (err: unknown) => `failed: ${String(err)}`,
  );
  await store.close();
  port.postMessage(outcome);
});
port.postMessage('ready');
