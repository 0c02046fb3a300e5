import { maskEmail, maskName, maskPhone } from './mask.ts';

export type PiiKind = 'phone' | 'email' | 'name';

const MASKERS: Record<PiiKind, (value: string) => string> = {
  phone: maskPhone,
  email: maskEmail,
  name: maskName,
};

/** Field names that say what a value is, in reasons, notes and JSON bodies alike. */
const LABEL_WORD =
  '(?:phone|mobile|msisdn|whatsapp|no_hp|e-?mail|name|nama|(?:first|last|full|display)_?name)';
const LABEL = new RegExp(`^${LABEL_WORD}$`, 'i');
/** A quoted string or a bare label word, whichever comes first. */
const TOKEN = new RegExp(`"(?:[^"\\\\\\n]|\\\\.)*"|\\b${LABEL_WORD}\\b`, 'gi');
/** What follows a JSON key: a colon, then the start of a value. */
const KEY_END = /^\s*:\s*(?:["{[]|-?\d|true\b|false\b|null\b)/;
const EMAIL = /[^\s@"'<>(),;:[\]]+@[^\s@"'<>(),;:[\]]+\.[A-Za-z]{2,}/g;
/** A run of digits and phone punctuation, not glued to a word (ids such as `ct_17` or `crm-123456`). */
const PHONE = /(?<![\w+*@.-])\+?\d[\d ().-]{5,}\d(?![\w*@])/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

export function kindOfLabel(label: string): PiiKind {
  const l = label.toLowerCase();
  if (/mail/.test(l)) return 'email';
  if (/name|nama/.test(l)) return 'name';
  return 'phone';
}

export function maskAs(kind: PiiKind, value: string): string {
  return MASKERS[kind](value);
}

/**
 * Free text (a failed reason, a stack trace, an audit error, a Sahut error
 * body) with the personal data in it masked: every email, every phone-like
 * number, and every quoted value that follows a field label in the same
 * clause (`invalid phone "0812…"`, `conflict on name: CRM "Budi", Sahut
 * "Budy"`, `{"name":"Budi"}`). Names that no label announces cannot be told
 * from other words and stay as they are. Masking twice changes nothing.
 */
export function maskText(text: string): string {
  return text
    .split(/([;\n])/)
    .map(maskLabelledValues)
    .join('')
    .replace(EMAIL, (email) => maskEmail(email))
    .replace(PHONE, (run) => (isPhoneLike(run) ? maskPhone(run) : run));
}

function isPhoneLike(run: string): boolean {
  const digits = run.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && !ISO_DATE.test(run);
}

/**
 * Quoted values after a label, masked as that label says, until the next
 * label or JSON key: `phone "0812…"`, `name: CRM "A", Sahut "B"`,
 * `{"name":"Budi","code":"taken"}` (the code is left alone).
 */
function maskLabelledValues(clause: string): string {
  let kind: PiiKind | undefined;
  return clause.replace(TOKEN, (token: string, offset: number) => {
    if (!token.startsWith('"')) {
      kind = kindOfLabel(token);
      return token;
    }
    const inner = token.slice(1, -1);
    if (KEY_END.test(clause.slice(offset + token.length))) {
      kind = LABEL.test(inner) ? kindOfLabel(inner) : undefined;
      return token;
    }
    return kind && inner !== '' ? `"${maskAs(kind, inner)}"` : token;
  });
}
