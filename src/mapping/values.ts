/** Raw CRM value → text, or null when absent. Non-scalars become JSON so nothing is silently lost. */
export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** Trimmed text; empty becomes null (an empty CRM cell means "no value"). */
export function cleanText(value: unknown): string | null {
  const text = toText(value)?.trim();
  return text ? text : null;
}

/** Zero-width characters that copy and paste leave behind: ZWSP, ZWNJ, ZWJ, word joiner, BOM. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g;

/** The `collapse` transform: invisible characters dropped, each whitespace run one space, trimmed. */
export function collapseText(value: unknown): string | null {
  return cleanText(toText(value)?.replace(INVISIBLE, '').replace(/\s+/g, ' '));
}

function parseJsonArray(text: string): unknown[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Raw CRM value → list: an array, a JSON array string, or text cut at `separator`. */
export function toList(value: unknown, separator: string): string[] {
  if (value === null || value === undefined) return [];
  const text = typeof value === 'string' ? value.trim() : null;
  const items = Array.isArray(value)
    ? value
    : text === null
      ? [value]
      : (parseJsonArray(text) ?? text.split(separator));
  return items.map(cleanText).filter((item): item is string => item !== null);
}

export const unique = (items: readonly string[]): string[] => [...new Set(items)];
