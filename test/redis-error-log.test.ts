import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, uniqueName } from './helpers/env.ts';
import { capturingLogger } from './helpers/log-capture.ts';

// A script as long as BullMQ's: what used to be logged whole with every failure.
const LUA = `${'-- padding line of a long script\n'.repeat(400)}return redis.error_reply('ERR boom')`;
const PHONE = '+628121234567';

describe('a failing Redis command in the logs', () => {
  const redis = new Redis(REDIS_URL);
  afterAll(() => redis.disconnect());

  it('shows the command name and its keys, never the script or the arguments (EVAL, then EVALSHA)', async () => {
    const { log, lines } = capturingLogger();
    const key = `${uniqueName('errlog')}:records:wait`;
    redis.defineCommand('failing', { numberOfKeys: 2, lua: LUA });
    const call = () =>
      (redis as unknown as { failing(...args: string[]): Promise<unknown> })
        .failing(key, `${key}:other`, PHONE, 'x'.repeat(10_000))
        .catch((err: unknown) => err);
    // The first call loads the script with EVAL; the next ones run it by its SHA.
    for (const err of [await call(), await call()]) log.error({ err }, 'worker error');

    const [first, second] = lines.map((l) => JSON.parse(l) as { err: { message: string; command: unknown } });
    expect(first?.err.command).toEqual({ name: 'eval', keys: [key, `${key}:other`] });
    expect(second?.err.command).toEqual({ name: 'evalsha', keys: [key, `${key}:other`] });
    expect(second?.err.message).toMatch(/boom/);
    for (const line of lines) {
      expect(line).not.toContain('padding line');
      expect(line).not.toContain(PHONE);
      expect(line.length).toBeLessThan(2_000);
    }
  });

  it('keeps the key of an ordinary command', async () => {
    const { log, lines } = capturingLogger();
    const key = uniqueName('errlog');
    await redis.set(key, 'not a list', 'PX', 10_000);
    const err = await redis.lpush(key, PHONE).catch((e: unknown) => e);
    log.error(err, 'failed');
    const line = JSON.parse(lines[0] ?? '{}') as { err: { message: string; command: unknown } };
    expect(line.err.message).toMatch(/WRONGTYPE/);
    expect(line.err.command).toEqual({ name: 'lpush', keys: [key] });
    expect(lines[0]).not.toContain(PHONE);
  });
});
