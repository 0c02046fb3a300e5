import { Command } from 'ioredis';
import { pino } from 'pino';

const MAX_KEYS = 12;

interface RedisCommand {
  name: string;
  args: unknown[];
}

type Fields = Record<string, unknown>;

/**
 * pino's error serializer, except for the Redis command an ioredis error
 * carries (`command: { name, args }`): only its name and keys are kept. Its
 * arguments are a Lua script of tens of kilobytes for EVAL, and job data
 * (phones, emails) for BullMQ's scripts.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (out === null || typeof out !== 'object') return out;
  return clean(out as Fields, Object.getPrototypeOf(out));
}

/** Rewrites a serialized error (a fresh object, safe to change) and the errors nested in it. */
function clean(fields: Fields, serializedProto: unknown): Fields {
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'command' && isCommand(value)) fields[key] = describeCommand(value);
    // A cluster's `lastNodeError`, already serialized by pino.
    else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === serializedProto)
      clean(value as Fields, serializedProto);
    // A transaction's `previousErrors`: raw errors in an array, which pino copies as they are.
    else if (Array.isArray(value) && value.some((v) => v instanceof Error))
      fields[key] = value.map((v) => (v instanceof Error ? serializeError(v) : v));
  }
  return fields;
}

function isCommand(value: unknown): value is RedisCommand {
  if (value === null || typeof value !== 'object') return false;
  const { name, args } = value as Partial<RedisCommand>;
  return typeof name === 'string' && Array.isArray(args);
}

export function describeCommand(command: RedisCommand): { name: string; keys: string[]; moreKeys?: number } {
  let keys: string[] = [];
  try {
    // ioredis knows where each command keeps its keys (EVAL and EVALSHA: after numkeys).
    keys = new Command(command.name, command.args as string[]).getKeys().map(String);
  } catch {
    // An unknown command: its name is still worth logging.
  }
  const more = keys.length - MAX_KEYS;
  return { name: command.name, keys: keys.slice(0, MAX_KEYS), ...(more > 0 ? { moreKeys: more } : {}) };
}
