import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MappingError } from './errors.ts';
import { mappingSchema } from './schema.ts';
import type { Mapping } from './types.ts';

export type MappingFormat = 'yaml' | 'json';

/** Parses and validates a mapping; `source` names it in error messages. */
export function parseMapping(text: string, format: MappingFormat, source = 'mapping'): Mapping {
  let document: unknown;
  try {
    document = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? 'unreadable';
    throw new MappingError(source, [
      { path: '(file)', message: `not valid ${format.toUpperCase()}: ${reason}` },
    ]);
  }
  if (document === null || document === undefined) {
    throw new MappingError(source, [{ path: '(file)', message: 'is empty' }]);
  }
  // reportInput lets an issue tell "missing" from "wrong type"; messages never quote the input.
  const parsed = mappingSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw MappingError.fromZod(source, parsed.error.issues);
  return parsed.data;
}

/** Reads a mapping file (`.json` is JSON, anything else YAML); synchronous, like all start-up config. */
export function loadMapping(path: string): Mapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new MappingError(path, [{ path: '(file)', message: `cannot be read (${String(code ?? err)})` }]);
  }
  return parseMapping(text, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml', path);
}
