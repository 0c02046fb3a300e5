import { z } from 'zod';
import type { AttrValue, Contact } from '../domain/index.ts';
import { parsePhone } from './phone.ts';

export type InvalidPolicy = 'reject' | 'drop';

export interface NormaliseOptions {
  /** ISO 3166 region for numbers written without a country code, e.g. `ID`. */
  defaultRegion: string;
  /** `reject` fails the record; `drop` keeps it with the field set to `null` and a warning. */
  invalidPhone: InvalidPolicy;
  invalidEmail?: InvalidPolicy;
}

export type NormaliseResult =
  | { ok: true; contact: Contact; warnings: string[] }
  | { ok: false; reason: string };

const emailSchema = z.email();

/** Lower-cased, trimmed email, or `null` when it is empty or not a valid address. */
export function normaliseEmail(raw: string | null | undefined): string | null {
  const email = raw?.trim().toLowerCase() ?? '';
  return email !== '' && emailSchema.safeParse(email).success ? email : null;
}

/**
 * Trimmed only; empty → `null`. Inner spaces and invisible characters are kept
 * as written, so the name synced is the name in the CRM (the mapping's
 * `collapse` transform tidies them when that is wanted).
 */
export function cleanText(raw: string | null | undefined): string | null {
  const text = raw?.trim() ?? '';
  return text === '' ? null : text;
}

/** Trimmed, without empties and duplicates (case-sensitive), first occurrence first. */
export function cleanTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
}

export function cleanAttributes(attrs: Readonly<Record<string, AttrValue>>): Record<string, AttrValue> {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]));
}

/**
 * Brings a mapped contact into the one form both sides are compared in.
 * Absent keys stay absent (unmanaged); present keys come out as a clean value or `null`.
 */
export function normaliseContact(contact: Contact, opts: NormaliseOptions): NormaliseResult {
  const out: Contact = {};
  const warnings: string[] = [];
  if (contact.name !== undefined) out.name = cleanText(contact.name);
  if (contact.company !== undefined) out.company = cleanText(contact.company);

  if (contact.phone !== undefined) {
    const raw = contact.phone?.trim() ?? '';
    const parsed = raw === '' ? null : parsePhone(raw, opts.defaultRegion);
    out.phone = parsed?.e164 ?? null;
    if (raw !== '' && !parsed) {
      const problem = `invalid phone ${quote(raw)}: not a valid number for region ${opts.defaultRegion.toUpperCase()}`;
      if (opts.invalidPhone === 'reject') return { ok: false, reason: problem };
      warnings.push(`dropped ${problem}`);
    } else if (parsed?.ext) {
      warnings.push(
        `dropped extension ${quote(parsed.ext)} of phone ${parsed.e164}: E.164 has no extensions`,
      );
    }
  }

  if (contact.email !== undefined) {
    const raw = contact.email?.trim() ?? '';
    out.email = normaliseEmail(raw);
    if (raw !== '' && out.email === null) {
      const problem = `invalid email ${quote(raw)}: not a valid email address`;
      if ((opts.invalidEmail ?? 'reject') === 'reject') return { ok: false, reason: problem };
      warnings.push(`dropped ${problem}`);
    }
  }

  if (contact.tags !== undefined) out.tags = cleanTags(contact.tags);
  if (contact.custom_attributes !== undefined)
    out.custom_attributes = cleanAttributes(contact.custom_attributes);
  return { ok: true, contact: out, warnings };
}

// Reasons go to the audit log: show the offending value, bounded in size.
const MAX_SHOWN = 64;
function quote(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}
