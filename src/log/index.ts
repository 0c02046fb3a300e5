import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  format?: 'auto' | 'json' | 'pretty';
  /** Secret values (API keys, passwords) to scrub from every line, wherever they hide. */
  secrets?: readonly string[];
  /** Defaults to stdout; tests pass a stream to capture lines. */
  destination?: DestinationStream;
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
  const pretty =
    opts.format === 'pretty' || (opts.format !== 'json' && !opts.destination && process.stdout.isTTY);
  const options = {
    level: opts.level ?? 'info',
    base: opts.base ?? { service: 'sahut-sync' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: secrets.length ? { streamWrite: (line: string) => scrub(line, secrets) } : {},
  };
  if (opts.destination) return pino(options, opts.destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
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
