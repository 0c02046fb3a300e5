/**
 * The Sahut stand-in in a process of its own, so its CPU and memory are not
 * counted as the engine's (in production Sahut runs on Sahut's servers).
 * Forked by sahut.ts; answers its requests over IPC.
 */
import { z } from 'zod';
import { buildSandbox, type FaultConfig } from '../../src/sandbox/index.ts';
import { matchingContact, unrelatedContacts } from './records.ts';
import type { CallKinds } from './types.ts';

const argsSchema = z.object({
  apiKey: z.string(),
  rate: z.number().positive().nullable(),
  latencyMs: z.number().int().nonnegative(),
});
const requestSchema = z.object({
  id: z.number(),
  op: z.enum(['seed', 'counts', 'resetCounts', 'summary', 'close']),
  arg: z.object({ unrelated: z.number().int().default(0), matching: z.number().int().default(0) }).optional(),
});

const args = argsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const faults: FaultConfig = {
  ...(args.rate ? { rateLimit: { requests: args.rate, windowMs: 1000 } } : {}),
  ...(args.latencyMs ? { latencyMs: args.latencyMs } : {}),
};
const sandbox = await buildSandbox({ apiKey: args.apiKey, faults });

const zero = (): CallKinds => ({ search: 0, list: 0, get: 0, post: 0, put: 0 });
let kinds = zero();
// The sandbox counts per route; a search and a list page share `GET /contacts`, told apart by `q`.
sandbox.app.addHook('onRequest', async (request) => {
  const path = request.url.split('?')[0] ?? '';
  if (request.method === 'POST') kinds.post++;
  else if (request.method === 'PUT') kinds.put++;
  else if (path.endsWith('/contacts'))
    kinds[new URL(request.url, 'http://x').searchParams.has('q') ? 'search' : 'list']++;
  else kinds.get++;
});

const ops = {
  seed(arg: { unrelated: number; matching: number } = { unrelated: 0, matching: 0 }) {
    sandbox.seed(unrelatedContacts(arg.unrelated));
    sandbox.seed(Array.from({ length: arg.matching }, (_, i) => matchingContact(i)));
    return sandbox.contacts().length;
  },
  counts() {
    const rejected429 = Object.values(sandbox.statusCounts()).reduce((n, s) => n + (s['429'] ?? 0), 0);
    return { byRoute: sandbox.counts(), byKind: kinds, rejected429 };
  },
  resetCounts() {
    sandbox.resetCounts();
    kinds = zero();
    return null;
  },
  summary() {
    const contacts = sandbox.contacts();
    const distinct = (values: (string | null)[]) => new Set(values.filter((v) => v !== null)).size;
    return {
      contacts: contacts.length,
      distinctPhones: distinct(contacts.map((c) => c.phone)),
      distinctEmails: distinct(contacts.map((c) => c.email?.toLowerCase() ?? null)),
    };
  },
  async close() {
    await sandbox.close();
    setImmediate(() => process.disconnect?.());
    return null;
  },
};

process.on('message', async (message) => {
  const { id, op, arg } = requestSchema.parse(message);
  try {
    process.send?.({ id, ok: true, value: await ops[op](arg as never) });
  } catch (err) {
    process.send?.({ id, ok: false, error: String(err) });
  }
});
// The bench that forked us is gone.
process.once('disconnect', () => void sandbox.close().finally(() => process.exit(0)));

const baseUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ ready: baseUrl });
