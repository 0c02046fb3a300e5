import type { z } from 'zod';
import { CrmError } from './errors.ts';

/**
 * Cursors are opaque to callers: base64url of a small JSON object that carries
 * a `kind`, so a cursor from one connector type is refused by another instead
 * of being misread.
 */
export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>, source: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CrmError(
      'CURSOR_INVALID',
      `Invalid cursor for ${source}: not a cursor produced by this connector`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new CrmError('CURSOR_INVALID', `Invalid cursor for ${source}: unexpected content at ${where}`);
  }
  return parsed.data;
}
