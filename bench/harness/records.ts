import type { CrmRecord } from '../../src/crm/index.ts';
import type { SeedContact } from '../../src/sandbox/index.ts';

const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Rina', 'Andi', 'Putri', 'Joko', 'Wahyu', 'Intan'];
const LAST = ['Santoso', 'Wijaya', 'Saputra', 'Lestari', 'Hidayat', 'Kusuma', 'Pratama', 'Nugroho'];
const DOMAINS = ['gmail.com', 'yahoo.co.id', 'Outlook.com', 'perusahaan.co.id'];
const CARRIERS = ['811', '812', '813', '821', '822', '852', '853', '857'];

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/** Mobile number parts: a carrier prefix and 8 subscriber digits, unique per `n`. */
function mobile(n: number): { carrier: string; sub: string } {
  return { carrier: pick(CARRIERS, n), sub: String(10_000_000 + n).slice(-8) };
}

/** The E.164 form Sahut stores. */
export function e164(n: number): string {
  const { carrier, sub } = mobile(n);
  return `+62${carrier}${sub}`;
}

/** The formats CRMs hold: national with dashes or brackets, 62 without +, spaced or dashed international. */
function crmPhone(n: number): string {
  const { carrier, sub } = mobile(n);
  const [a, b] = [sub.slice(0, 4), sub.slice(4)];
  switch (n % 5) {
    case 0:
      return `0${carrier}-${a}-${b}`;
    case 1:
      return `62${carrier}${sub}`;
    case 2:
      return `+62 ${carrier} ${a} ${b}`;
    case 3:
      return `(0${carrier}) ${a}-${b}`;
    default:
      return `+62-${carrier}-${a}-${b}`;
  }
}

const nameOf = (i: number) => `${pick(FIRST, i)} ${pick(LAST, Math.floor(i / FIRST.length))}`;
const emailOf = (i: number) =>
  `${pick(FIRST, i)}.${pick(LAST, Math.floor(i / FIRST.length))}${i}@${pick(DOMAINS, i)}`.toLowerCase();

export const companyOf = (i: number) => `PT Usaha ${i % 37}`;

/** CRM record `i`: mixed phone formats, emails with stray case and spaces, as exports really look. */
export function crmRecord(i: number): CrmRecord {
  const email = emailOf(i);
  return {
    id: `crm-${i}`,
    data: {
      name: nameOf(i),
      phone: crmPhone(i),
      email: i % 3 === 0 ? ` ${email.toUpperCase()}` : i % 3 === 1 ? email : `${email} `,
      company: companyOf(i),
      tags: 'crm;pelanggan',
      tier: i % 4 === 0 ? 'gold' : 'silver',
    },
  };
}

export function crmRecords(count: number): CrmRecord[] {
  return Array.from({ length: count }, (_, i) => crmRecord(i));
}

/** What Sahut already holds for CRM record `i`: E.164, upper-cased email, every other one an old company. */
export function matchingContact(i: number): SeedContact {
  return {
    name: nameOf(i),
    phone: e164(i),
    email: emailOf(i).toUpperCase(),
    company: i % 2 === 0 ? 'PT Lama' : companyOf(i),
    tags: ['crm', 'pelanggan'],
    custom_attributes: { tier: i % 4 === 0 ? 'gold' : 'silver' },
  };
}

/** Contacts no CRM record matches (their numbers are far outside the CRM's range). */
export function unrelatedContacts(count: number): SeedContact[] {
  return Array.from({ length: count }, (_, j) => ({
    name: `Kontak Lain ${j}`,
    phone: e164(50_000_000 + j),
    email: `lain${j}@contoh.id`,
  }));
}
