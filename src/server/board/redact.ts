import { looksLikeEmail, looksLikePhone, maskEmail, maskName, maskPhone } from './mask.ts';

const REDACTED = '[REDACTED]';
const SECRET_KEY =
  /password|passwd|passphrase|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|^pass$/i;
const PHONE_KEY = /phone|mobile|msisdn|whatsapp|^(tel|hp|wa)$/i;
const EMAIL_KEY = /e-?mail/i;
const NAME_KEY =
  /^(name|nama|full[-_]?name|first[-_]?name|last[-_]?name|display[-_]?name|given[-_]?name|family[-_]?name|contact[-_]?name)$/i;
/** Ids may be all digits (`10045678`) and must stay readable: no guessing from the value there. */
const ID_KEY = /(^|[-_])id$|[a-z]Id$/i;
const MAX_DEPTH = 20;

export interface RedactOptions {
  /** Also mask phones, emails and names (DASHBOARD_REDACT_PII). */
  pii: boolean;
}

/**
 * A copy of a job's data or result fit for the board: secrets are always
 * replaced; with `pii`, phones, emails and names are masked both by key and,
 * for phones and emails, by the shape of any string value (CRM field names vary).
 */
export function redact(value: unknown, opts: RedactOptions): unknown {
  return walk(value, undefined, opts, 0);
}

function walk(value: unknown, key: string | undefined, opts: RedactOptions, depth: number): unknown {
  if (key !== undefined && SECRET_KEY.test(key)) return value == null ? value : REDACTED;
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => walk(item, key, opts, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k, opts, depth + 1)]));
  }
  if (typeof value === 'string' && opts.pii) return maskString(value, key);
  return value;
}

function maskString(value: string, key: string | undefined): string {
  if (key !== undefined) {
    if (PHONE_KEY.test(key)) return maskPhone(value);
    if (EMAIL_KEY.test(key)) return maskEmail(value);
    if (NAME_KEY.test(key)) return maskName(value);
    if (ID_KEY.test(key)) return value;
  }
  if (looksLikeEmail(value)) return maskEmail(value);
  if (looksLikePhone(value)) return maskPhone(value);
  return value;
}
