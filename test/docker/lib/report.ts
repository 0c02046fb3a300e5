// run.sh passes its own start, so both print one clock.
const started = Number(process.env.DOCKER_TEST_STARTED_MS) || Date.now();
let passed = 0;

const clock = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

/** One phase of the test, printed with the time since the start. */
export function step(what: string): void {
  process.stdout.write(`[${clock()}] ${what}\n`);
}

/** One verified fact: printed as `ok`, or thrown with what was seen instead. */
export function check(ok: boolean, what: string, seen?: unknown): void {
  if (!ok) {
    const detail =
      seen === undefined ? '' : `\n  seen: ${typeof seen === 'string' ? seen : JSON.stringify(seen)}`;
    throw new CheckFailed(`${what}${detail}`);
  }
  passed += 1;
  process.stdout.write(`  ok ${passed} - ${what}\n`);
}

const notes: string[] = [];

/** Something seen that the checks do not fail on, repeated at the end. */
export function note(what: string): void {
  notes.push(what);
  process.stdout.write(`  note - ${what}\n`);
}

export const checksPassed = () => passed;
export const notesTaken = () => [...notes];
export const elapsed = clock;
