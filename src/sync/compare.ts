import type { AttrValue } from '../domain/index.ts';

/** Tags are compared as sets, so a different order on one side never causes a write. */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((t) => setB.has(t));
}

/** Scalars and attribute values; `undefined` (absent) reads as `null`. */
export function sameValue(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  return (a ?? null) === (b ?? null);
}
