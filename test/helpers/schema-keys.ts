import type { z } from 'zod';

/**
 * Every key path an input to `schema` may hold, as `parent.child`; the keys of a
 * record of objects are `*`. Read from the schema itself (zod 4 keeps its
 * definition on `_zod.def`), so a key added to a schema shows up here at once.
 */
export function schemaKeys(schema: z.core.$ZodType, at = ''): string[] {
  return [...new Set(keysOf(schema, at))];
}

function keysOf(schema: z.core.$ZodType, at: string): string[] {
  const def = schema._zod.def;
  const under = (key: string) => (at ? `${at}.${key}` : key);
  switch (def.type) {
    case 'object':
      return Object.entries((def as z.core.$ZodObjectDef).shape).flatMap(([key, value]) => [
        under(key),
        ...keysOf(value, under(key)),
      ]);
    case 'record':
      return keysOf((def as z.core.$ZodRecordDef).valueType, under('*'));
    case 'union':
      return (def as z.core.$ZodUnionDef).options.flatMap((option) => keysOf(option, at));
    case 'pipe': {
      // A transform (`.transform`, `z.preprocess`) on either side adds no key.
      const pipe = def as z.core.$ZodPipeDef;
      return [...keysOf(pipe.in, at), ...keysOf(pipe.out, at)];
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return keysOf((def as z.core.$ZodOptionalDef).innerType, at);
    default:
      return [];
  }
}
