/**
 * The sample outputs shown in the docs, made by real runs.
 *
 * A sample is a fenced block of README.md or docs/*.md between two comments:
 *
 *   <!-- sample: demo -->
 *   ```
 *   …what the command printed…
 *   ```
 *   <!-- /sample -->
 *
 * SAMPLES says how each is made: its command runs in a real terminal (tmux, at the
 * size given, from the repository's root), and the screen is taken as a person sees
 * it, a line the terminal wrapped counted once.
 *
 *   npm run docs:samples             regenerates every marked block
 *   npm run docs:samples -- demo     only the samples named
 *
 * test/doc-samples.test.ts makes each sample again and compares it with the docs.
 * Only what varies from one run to the next is masked (`mask`), on both sides:
 *   - run ids (run-20261130-012654-507b) and replay run ids (replay-<uuid>);
 *   - the sandbox's port (127.0.0.1:39107);
 *   - the rate and the elapsed time that end a progress bar (| 113 rec/s | 1s);
 *   - the time of a log line ([01:27:02.827]).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../test/helpers/env.ts';
import { startInTmux } from '../test/helpers/tmux.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Sample {
  /** The arguments of `sahut-sync`. */
  args: readonly string[];
  env?: Record<string, string>;
  columns: number;
  /** The part of the screen shown, when not all of it. */
  excerpt?: (lines: readonly string[]) => readonly string[];
}

export const SAMPLES: Record<string, Sample> = {
  // The quick start's `npm run demo`, on the local Redis.
  demo: { args: ['demo'], columns: 140 },
  // The demo with its info lines, up to the first summary's header: the lines above the bar.
  'demo-info': {
    args: ['demo'],
    env: { LOG_LEVEL: 'info' },
    columns: 140,
    excerpt: (lines) => lines.slice(0, lines.findIndex((l) => l.startsWith('run ')) + 1),
  },
};

const MASKS: [RegExp, string][] = [
  [/\brun-\d{8}-\d{6}-[0-9a-f]{4}\b/g, 'run-<id>'],
  [/\breplay-[0-9a-f-]{36}\b/g, 'replay-<id>'],
  [/\b127\.0\.0\.1:\d+/g, '127.0.0.1:<port>'],
  [/ \| \d+ rec\/s \| \w+$/gm, ' | <rate> rec/s | <elapsed>'],
  [/^\[\d\d:\d\d:\d\d\.\d{3}\]/gm, '[<time>]'],
];

/** The sample with what varies between runs masked (see above). */
export function mask(text: string): string {
  return MASKS.reduce((out, [pattern, by]) => out.replace(pattern, by), text);
}

export interface SampleBlock {
  file: string;
  name: string;
  /** The block's lines, fences excluded. */
  text: string;
}

const BLOCK = /(<!-- sample: ([\w-]+) -->\n```[^\n]*\n)([\s\S]*?)(\n```\n<!-- \/sample -->)/g;

/** README.md and the docs/*.md files (the README is being split into docs/). */
async function docFiles(): Promise<string[]> {
  const docs = await readdir(join(ROOT, 'docs')).catch(() => [] as string[]);
  return ['README.md', ...docs.filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
}

export async function findSamples(): Promise<SampleBlock[]> {
  const blocks: SampleBlock[] = [];
  for (const file of await docFiles()) {
    const text = await readFile(join(ROOT, file), 'utf8');
    for (const [, , name = '', body = ''] of text.matchAll(BLOCK)) blocks.push({ file, name, text: body });
  }
  return blocks;
}

/** Runs the sample's command in a terminal and returns its screen (or the excerpt shown). */
export async function generate(name: string): Promise<string> {
  const sample = SAMPLES[name];
  if (!sample) throw new Error(`no sample "${name}"; known: ${Object.keys(SAMPLES).join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-sample-'));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...sample.env };
  const pane = await startInTmux(dir, [process.execPath, MAIN, ...sample.args], env, {
    columns: sample.columns,
    rows: 50,
    cwd: ROOT,
  });
  try {
    await until(async () => (await pane.exitStatus()) !== undefined, 120_000, `sample ${name} to end`);
    const lines = (await pane.capture({ joined: true })).filter((l) => !l.startsWith('Pane is dead'));
    const text = lines.join('\n').trim();
    const status = await pane.exitStatus();
    if (status !== 0)
      throw new Error(`sample ${name}: sahut-sync ${sample.args.join(' ')} exited ${status}:\n${text}`);
    return (sample.excerpt?.(text.split('\n')) ?? text.split('\n')).join('\n');
  } finally {
    await pane.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Regenerates the samples named (every marked one by default) in the files that show them. */
async function regenerate(names: readonly string[]): Promise<void> {
  const blocks = await findSamples();
  const wanted = names.length > 0 ? names : [...new Set(blocks.map((b) => b.name))];
  const outputs = new Map<string, string>();
  for (const name of wanted) outputs.set(name, await generate(name));
  for (const file of new Set(blocks.filter((b) => outputs.has(b.name)).map((b) => b.file))) {
    const path = join(ROOT, file);
    const text = await readFile(path, 'utf8');
    await writeFile(
      path,
      text.replace(BLOCK, (whole, open: string, name: string, _body, close: string) => {
        const output = outputs.get(name);
        return output === undefined ? whole : `${open}${output}${close}`;
      }),
    );
    const shown = blocks.filter((b) => b.file === file && outputs.has(b.name)).map((b) => b.name);
    process.stdout.write(`${file}: ${shown.join(', ')} regenerated\n`);
  }
}

if (import.meta.main) await regenerate(process.argv.slice(2));
