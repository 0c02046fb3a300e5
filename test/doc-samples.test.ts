import { describe, expect, it } from 'vitest';
import { findSamples, generate, mask } from '../scripts/doc-samples.ts';
import { hasPeer } from './helpers/peers.ts';
import { TMUX } from './helpers/tmux.ts';

describe.skipIf(!hasPeer(TMUX, 'tmux'))('the sample outputs in the docs', () => {
  it('are what their commands print today, but for run ids, ports, rates and times', async () => {
    const blocks = await findSamples();
    expect(blocks.map((b) => b.name)).toEqual(expect.arrayContaining(['demo', 'demo-info']));
    const made = new Map<string, string>();
    for (const { file, name, text } of blocks) {
      const output = made.get(name) ?? (await generate(name));
      made.set(name, output);
      expect(mask(text), `${file}, sample ${name} (npm run docs:samples makes it again)`).toBe(mask(output));
    }
  }, 240_000);
});
