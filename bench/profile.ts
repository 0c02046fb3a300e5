/**
 * Summarises V8 CPU profiles (`BENCH_CPU_PROF=DIR npm run bench -- …` writes one per `worker` and
 * `run --once`): self time by where the code lives (store client, Redis/BullMQ, HTTP, our folders,
 * GC …) and the functions costing most, so a change can be aimed at what a record really costs.
 *
 *   node bench/profile.ts DIR/*.cpuprofile
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

// First match wins: dependencies before our own folders, since their paths hold "src/" too.
const AREAS: [string, RegExp][] = [
  ['pg client (pg, pg-protocol)', /node_modules\/(pg|pg-protocol|pg-types|pgpass|postgres-)/],
  ['Redis client + BullMQ', /node_modules\/(ioredis|bullmq|@ioredis|cluster-key-slot|msgpackr)/],
  ['HTTP client (undici)', /undici/],
  ['zod', /node_modules\/zod/],
  ['pino (logs)', /node_modules\/(pino|sonic-boom|thread-stream)/],
  ['libphonenumber', /libphonenumber/],
  ['other dependencies', /node_modules/],
  ['src/store', /\/src\/store\//],
  ['src/queue', /\/src\/queue\//],
  ['src/sync', /\/src\/sync\//],
  ['src/sahut', /\/src\/sahut\//],
  ['src/crm', /\/src\/crm\//],
  ['src (other)', /\/src\//],
  ['node internals', /^node:/],
];

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : 'native / builtins';
  return AREAS.find(([, re]) => re.test(url))?.[0] ?? 'other';
}

async function summarise(file: string) {
  const p = profileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native code and Node's internals (socket writes, timers, hashing) are charged to the nearest caller that is not.
  const owner = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      const area = f ? areaOf(f.url, f.functionName) : 'other';
      if (area !== 'native / builtins' && area !== 'node internals') return area;
    }
    return 'native / builtins';
  };
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const owners = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)?.callFrame ?? {
      functionName: '?',
      url: '',
      lineNumber: 0,
    };
    if (functionName === '(idle)') continue;
    busy += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const by = owner(id);
    owners.set(by, (owners.get(by) ?? 0) + us);
    const where = url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const ms = (us: number) =>
    `${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\n${basename(file)}: ${(busy / 1000).toFixed(0)} ms on CPU (idle left out)`);
  for (const [area, us] of top(areas, 20)) console.log(`  ${ms(us)}  ${area}`);
  console.log('  by caller (native code and Node internals charged to the nearest caller outside them):');
  for (const [area, us] of top(owners, 20)) console.log(`  ${ms(us)}  ${area}`);
  console.log('  top functions (self time):');
  for (const [fn, us] of top(fns, 15)) console.log(`  ${ms(us)}  ${fn}`);
}

for (const file of process.argv.slice(2)) await summarise(file);
