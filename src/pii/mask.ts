/** `+6281234567789` → `+62812****789`: the country and operator prefix and the last digits stay readable. */
export function maskPhone(phone: string): string {
  const compact = phone.replace(/[\s().-]/g, '');
  if (compact.length < 8) return '****';
  return `${compact.slice(0, 6)}****${compact.slice(-3)}`;
}

/** `budi@example.com` → `b***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** `Budi Santoso` → `B*** S***`. */
export function maskName(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${part[0]}***`)
    .join(' ');
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s().-]{7,20}$/;

export const looksLikeEmail = (value: string) => EMAIL.test(value);
/** At least 7 digits and nothing but phone punctuation; ids such as `crm-123` never match. */
export const looksLikePhone = (value: string) => PHONE.test(value) && (value.match(/\d/g)?.length ?? 0) >= 7;
