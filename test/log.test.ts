import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/index.ts';
import { lineSink } from './helpers/log-capture.ts';

const KEY = 'sk_live_9f8e7d6c5b4a';
const DB_PASSWORD = 'pg-p@ss"word';

describe('logger', () => {
  it('never writes a secret, whatever carries it', () => {
    const { lines, destination } = lineSink();
    const log = createLogger({ secrets: [KEY, DB_PASSWORD], destination, level: 'trace' });
    log.info({ headers: { authorization: `Bearer ${KEY}` } }, 'request');
    log.info({ deep: { user: { config: { password: DB_PASSWORD } } } }, 'nested');
    log.error({ err: new Error(`upstream said key ${KEY} is revoked`) }, 'failed');
    log.warn(`connecting to postgres://app:${encodeURIComponent(DB_PASSWORD)}@db/x`);
    log.debug({ apiKey: KEY, token: 'short' }, 'options');
    log.info({ note: `quoted ${JSON.stringify(DB_PASSWORD)}` }, 'json-escaped');

    expect(lines).toHaveLength(6);
    const out = lines.join('');
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(DB_PASSWORD);
    expect(out).not.toContain(encodeURIComponent(DB_PASSWORD));
    expect(out).not.toContain(JSON.stringify(DB_PASSWORD).slice(1, -1));
    expect(out).toContain('[REDACTED]');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('pretty-prints on a terminal in this thread, one line per entry, secrets scrubbed', () => {
    const lines: string[] = [];
    const terminal = { isTTY: true, write: (line: string) => void lines.push(line) };
    const log = createLogger({ secrets: [KEY], destination: terminal });
    log.info({ crmId: 'c9', note: `key ${KEY}` }, 'record rejected');
    // Written before info() returned: nothing printed after it can come first.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: record rejected .*"crmId":"c9"/);
    expect(lines[0]?.trimEnd()).not.toContain('\n');
    expect(lines[0]).not.toContain(KEY);
  });

  it('prints an entry with an error on one line on a terminal, the error in it', () => {
    const lines: string[] = [];
    const terminal = { isTTY: true, write: (line: string) => void lines.push(line) };
    const log = createLogger({ destination: terminal });
    log.warn({ crmId: 'c9', err: 'Outcome of POST /contacts is unknown: socket hang up' }, 'record failed');
    log.error({ err: new Error('connection lost\nwhile reading') }, 'run failed');
    log.info('a message\nof two lines');

    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^\[[\d:.]+\] [A-Z]+: [^\n]+\n$/);
    expect(lines[0]).toContain('"err":"Outcome of POST /contacts is unknown: socket hang up"');
    expect(lines[1]).toContain('"message":"connection lost\\nwhile reading"');
    expect(lines[1]).toContain('"stack":"Error: connection lost');
    expect(lines[2]).toContain('a message\\nof two lines');
  });

  it('keeps ordinary fields', () => {
    const { lines, destination } = lineSink();
    createLogger({ destination }).info({ runId: 'r1', crmId: 'c9' }, 'synced');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ runId: 'r1', crmId: 'c9', msg: 'synced' });
  });
});
