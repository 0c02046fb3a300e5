import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** The phone properties HubSpot computes from `phone` and `mobilephone` on every write (read-only). */
const CALCULATED = {
  phone: { e164: 'hs_calculated_phone_number', searchable: 'hs_searchable_calculated_phone_number' },
  mobilephone: { e164: 'hs_calculated_mobile_number', searchable: 'hs_searchable_calculated_mobile_number' },
} as const;

export const CALCULATED_PROPERTIES: ReadonlySet<string> = new Set(
  Object.values(CALCULATED).flatMap((c) => [c.e164, c.searchable]),
);

/**
 * What HubSpot derives from the raw phone values, as observed: the international form (E.164)
 * and the searchable form, the national number without country code. A value that does not
 * parse keeps only its digits as the searchable form (HubSpot's `00004` gave `4`: leading zeros go).
 */
export function calculatedPhones(
  properties: Readonly<Record<string, string>>,
  region: CountryCode,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [raw, names] of Object.entries(CALCULATED)) {
    const value = properties[raw];
    if (!value) continue;
    const parsed = parsePhoneNumberFromString(value, region);
    if (parsed?.isValid()) {
      out[names.e164] = parsed.number;
      out[names.searchable] = String(parsed.nationalNumber);
    } else {
      const digits = value.replace(/\D/g, '').replace(/^0+/, '');
      if (digits) out[names.searchable] = digits;
    }
  }
  return out;
}
