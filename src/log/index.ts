import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { serializeError } from './errors.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  format?: 'auto' | 'json' | 'pretty';
  /** Secret values (API keys, passwords) to scrub from every line, wherever they hide. */
  secrets?: readonly string[];
  /**
   * Where lines go; defaults to stdout. The CLI passes its screen (lines then land above a
   * progress bar), tests a stream to capture lines. With format `auto`, lines are pretty
   * when the destination is a terminal (`isTTY`).
   */
  destination?: DestinationStream & { isTTY?: boolean };
  base?: Record<string, unknown>;
}

const REDACTED = '[REDACTED]';

// Paths cover the usual carriers; the line scrubber below catches the rest
// (a key inside an error message, a URL with a password …).
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'apiKey',
  'api_key',
  'apikey',
  'password',
  'token',
  'secret',
  'SAHUT_API_KEY',
  'DASHBOARD_PASSWORD',
  'DASHBOARD_TOKEN',
  'DATABASE_URL',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = [...new Set(opts.secrets ?? [])].filter((s) => s.length > 0);
  const destination = opts.destination ?? process.stdout;
  const pretty = isPretty(opts.format, destination);
  const options = {
    level: opts.level ?? 'info',
    base: opts.base ?? { service: 'sahut-sync' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // A failing Redis command is logged by name and keys, never with its script or arguments.
    serializers: { err: serializeError },
    hooks: secrets.length ? { streamWrite: (line: string) => scrub(line, secrets) } : {},
  };
  if (pretty) return pino(options, prettyLines(destination));
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Whether lines are printed for a person (format `pretty`, or `auto` on a terminal) rather than as JSON. */
export function isPretty(format: LoggerOptions['format'], destination: { isTTY?: boolean }): boolean {
  return format === 'pretty' || (format !== 'json' && destination.isTTY === true);
}

/**
 * Formats each line in this thread, as it is logged (pino-pretty's transport runs in a
 * worker thread and writes whenever it gets to it): a line is on the screen before the
 * next statement runs, so it never lands in the middle of later output such as a summary.
 */
function prettyLines(destination: DestinationStream): DestinationStream {
  const format = prettyFactory({
    singleLine: true,
    // pino-pretty prints error-like keys (`err`) on lines of their own even with singleLine:
    // here they are fields like any other, in the entry's one line.
    errorLikeObjectKeys: [],
    ignore: 'pid,hostname,service',
    translateTime: 'SYS:HH:MM:ss.l',
  });
  // A message may still hold a line break of its own (an error's text): one entry stays one line.
  return {
    write: (line: string) => destination.write(`${format(line).trimEnd().replace(/\r?\n/g, '\\n')}\n`),
  };
}

/** Replaces every occurrence of a secret (raw or JSON-escaped) in a serialised line. */
export function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
      if (form && out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}
