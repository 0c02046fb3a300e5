import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/index.ts';

/** A stream that keeps every chunk written to it (one log line each), to assert what was logged. */
export function lineSink(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

/** A JSON logger (at `level`, else the default info) whose lines land in `lines`. */
export function capturingLogger(level?: string): { log: Logger; lines: string[] } {
  const { lines, destination } = lineSink();
  return {
    log: createLogger({ ...(level === undefined ? {} : { level }), format: 'json', destination }),
    lines,
  };
}
