import { existsSync } from 'node:fs';

/**
 * Whether a real peer program from Debian is installed. Missing on a
 * developer's machine: its tests are skipped with a note. Missing in CI
 * (CI=true, where .ci/run installs it): an error, never a silent skip.
 */
export function hasPeer(path: string, debianPackage: string): boolean {
  if (existsSync(path)) return true;
  const hint = `${path} is missing: apt-get install ${debianPackage} (.ci/run does this)`;
  if (process.env.CI) throw new Error(hint);
  process.stderr.write(`skipping tests that need ${hint}\n`);
  return false;
}
