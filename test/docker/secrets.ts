import { APP_IMAGE, docker } from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { stream } from './lib/sh.ts';

/** Which of `needles` occur in the bytes of a command's stdout (matches across chunk borders count). */
async function foundInStream(cmd: string, args: string[], needles: readonly string[]): Promise<string[]> {
  const wanted = needles.map((n) => Buffer.from(n));
  const overlap = Math.max(...wanted.map((w) => w.length)) - 1;
  const found = new Set<string>();
  let carry = Buffer.alloc(0);
  const code = await stream(cmd, args, (chunk) => {
    const window = Buffer.concat([carry, chunk]);
    wanted.forEach((w, i) => {
      if (window.includes(w)) found.add(needles[i] as string);
    });
    carry = window.subarray(Math.max(0, window.length - overlap));
  });
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}`);
  return [...found];
}

/** No value from .env is in the image's config, its history or any byte of its layers. */
export async function checkNoSecretsInImage(secrets: Record<string, string>): Promise<void> {
  step('looking for the .env secrets in the image');
  const values = Object.values(secrets);
  const named = (found: string[]) =>
    Object.entries(secrets)
      .filter(([, v]) => found.includes(v))
      .map(([k]) => k);
  const config = await docker('image', 'inspect', APP_IMAGE);
  const inConfig = named(values.filter((v) => config.includes(v)));
  check(inConfig.length === 0, 'no .env secret in docker inspect of the image', inConfig);
  const history = await docker('history', '--no-trunc', '--format', '{{.CreatedBy}}', APP_IMAGE);
  const inHistory = named(values.filter((v) => history.includes(v)));
  check(inHistory.length === 0, 'no .env secret in docker history', inHistory);
  // A string every image has (package.json) proves the scan reads the layers' bytes.
  const control = '"name": "sahut-sync"';
  const found = await foundInStream('docker', ['save', APP_IMAGE], [...values, control]);
  check(found.includes(control), 'the layer scan sees the files of the image (package.json found)');
  const inLayers = named(found);
  check(inLayers.length === 0, 'no .env secret in any byte of any layer (docker save)', inLayers);
}
