import { SchemaTooNewError } from './errors.ts';

/** What `migrate` would apply, given the ids already applied: `"3 attention listing, decisions"`. */
export function pendingOf(
  known: readonly { id: number; name: string }[],
  applied: readonly number[],
): string[] {
  const last = known.at(-1)?.id ?? 0;
  const latest = Math.max(0, ...applied);
  if (latest > last) throw new SchemaTooNewError(latest, last);
  return known.filter((m) => !applied.includes(m.id)).map((m) => `${m.id} ${m.name}`);
}
