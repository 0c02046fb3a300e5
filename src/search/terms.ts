import { type CountryCode, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import type { LinkLookup, LinkSearch } from '../store/index.ts';
import { normalisePhone } from '../sync/index.ts';

/** What one search box entry asks the links for: exact identities, and the parts it may be of. */
export interface SearchTerms {
  exact: LinkLookup;
  partial: LinkSearch;
}

/** Fewest digits taken as part of a phone; fewer match too many numbers to mean one record. */
const MIN_PHONE_DIGITS = 4;

/**
 * How to read what an operator typed. Exactly: a CRM id, a Sahut id, a phone
 * in any usual spelling (E.164 when it parses), an email. In part: digits are
 * part of a phone (`+62812` is a prefix; `0812 3456` is a national prefix
 * read with `region`'s calling code, and also digits anywhere, for regions
 * where a leading 0 is part of the number; `3456789` is digits anywhere);
 * other text is part of an email and (without an `@`) part of a name.
 */
export function searchTerms(q: string, region: string): SearchTerms {
  const text = q.trim();
  const compact = text.replace(/[\s().-]/g, '');
  const exact: LinkLookup = {
    crmId: text,
    sahutId: text,
    phone: normalisePhone(text, region) ?? compact,
    email: text.toLowerCase(),
  };
  return { exact, partial: partialTerms(text, compact, region) };
}

function partialTerms(text: string, compact: string, region: string): LinkSearch {
  const digits = compact.replace(/^\+/, '');
  if (/^\+?\d+$/.test(compact)) {
    if (digits.length < MIN_PHONE_DIGITS || digits.length > 15) return {};
    if (compact.startsWith('+')) return { phonePrefix: compact };
    const national = compact.startsWith('0') ? nationalPrefix(digits.slice(1), region) : undefined;
    return { phoneDigits: digits, ...(national ? { phonePrefix: national } : {}) };
  }
  const partial: LinkSearch = {};
  if (!/\s/.test(text) && text.length >= 3) partial.emailPart = text;
  if (/\p{L}/u.test(text) && !text.includes('@') && text.length >= 2) partial.namePart = text;
  return partial;
}

/** `8123456` in region ID → `+628123456`. */
function nationalPrefix(significant: string, region: string): string | undefined {
  const country = region.toUpperCase();
  if (!isSupportedCountry(country)) return undefined;
  const prefix = `+${getCountryCallingCode(country as CountryCode)}${significant}`;
  return prefix.length <= 16 ? prefix : undefined;
}
