import { maskPii } from '../../pii/index.ts';

const REDACTED = '[REDACTED]';
const SECRET_KEY =
  /password|passwd|passphrase|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|^pass$/i;
const MAX_DEPTH = 20;

export interface RedactOptions {
  /** Also mask phones, emails and names (DASHBOARD_REDACT_PII). */
  pii: boolean;
}

/**
 * A copy of a job's data or result fit for the board: secrets are always
 * replaced; with `pii`, phones, emails and names are masked by key and, in
 * any other text, wherever they appear (CRM field names vary).
 */
export function redact(value: unknown, opts: RedactOptions): unknown {
  const withoutSecrets = walk(value, undefined, 0);
  return opts.pii ? maskPii(withoutSecrets) : withoutSecrets;
}

function walk(value: unknown, key: string | undefined, depth: number): unknown {
  if (key !== undefined && SECRET_KEY.test(key)) return value == null ? value : REDACTED;
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => walk(item, key, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k, depth + 1)]));
  }
  return value;
}
