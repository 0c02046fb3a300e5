import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export interface ParsedPhone {
  /** E.164, e.g. `+628123456789`. */
  e164: string;
  /** Extension written after the number; E.164 cannot carry it. */
  ext: string | undefined;
}

/**
 * Reads a phone number as written in a CRM or in Sahut; national numbers use
 * `region`. Digits that start with the region's calling code but lack the `+`
 * (`62812 3456 789` for ID) need no extra step: libphonenumber reads them as
 * international when they are not a valid national number (tests pin this).
 * Returns `null` for anything that is not a valid number.
 */
export function parsePhone(raw: string, region: string | undefined): ParsedPhone | null {
  const phone = parsePhoneNumberFromString(raw, region === undefined ? undefined : toCountry(region));
  return phone?.isValid() ? { e164: phone.number, ext: phone.ext } : null;
}

/** E.164 form of `raw`, or `null` when it is empty or not a valid number. */
export function normalisePhone(raw: string | null | undefined, region: string | undefined): string | null {
  if (raw == null || raw.trim() === '') return null;
  return parsePhone(raw, region)?.e164 ?? null;
}

function toCountry(region: string): CountryCode {
  const upper = region.toUpperCase();
  // Config validates the region at start-up, so reaching this is a programming error.
  if (!isSupportedCountry(upper)) throw new RangeError(`unknown phone region "${region}"`);
  return upper;
}
