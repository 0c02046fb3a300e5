import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_IMAGE } from './lib/docker.ts';
import { check, step } from './lib/report.ts';
import { pipe, run, sh, tail } from './lib/sh.ts';

/**
 * `docker build` of the project's Dockerfile as it is. The context is the
 * checkout as a user has it after `cp .env.example .env`: every file git
 * tracks or would track, plus the test's `.env` (in `envDir`) holding real
 * secrets, which .dockerignore must keep out of the image. `--network host`
 * because the daemon runs without iptables: only the host's network reaches
 * npm and Debian.
 */
export async function buildImage(root: string, envDir: string): Promise<void> {
  step(`docker build -t ${APP_IMAGE} (the context holds a .env with secrets)`);
  const listed = await sh('git', ['-C', root, 'ls-files', '-z', '-co', '--exclude-standard']);
  // Files deleted in the working tree are still listed by git; a user's context would not hold them.
  const files = [...new Set(listed.split('\0'))].filter((f) => f && existsSync(join(root, f)));
  const list = join(envDir, 'context-files');
  await writeFile(list, `${files.join('\0')}\0`);
  const previous = await imageId(APP_IMAGE);
  const started = Date.now();
  const built = await pipe(
    ['tar', ['-c', '-f', '-', '-C', root, '--null', '-T', list, '-C', envDir, '.env']],
    ['docker', ['build', '--network', 'host', '-t', APP_IMAGE, '-']],
  );
  if (built.code !== 0) throw new Error(`docker build failed:\n${tail(built.stdout, 40)}`);
  const seconds = Math.round((Date.now() - started) / 1000);
  check(true, `docker build of the Dockerfile as it is (${seconds} s)`);
  // vfs stores every layer in full: drop the image this build replaced (its build cache stays).
  if (previous && previous !== (await imageId(APP_IMAGE))) await run('docker', ['image', 'rm', previous]);
}

async function imageId(tag: string): Promise<string | null> {
  const { code, stdout } = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]);
  return code === 0 ? stdout.trim() : null;
}
