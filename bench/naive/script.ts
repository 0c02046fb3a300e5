/**
 * The sync script most teams write first, as the baseline the engine is held
 * against: for each CRM record, one after the other, search Sahut by phone,
 * then by email, then PUT the contact found or POST a new one. Plain fetch, no
 * queue, no store, no retries. It runs on the bench's generated CRM records.
 *
 *   node bench/naive/script.ts --base-url http://127.0.0.1:4010/v1 --api-key KEY --records 300
 *
 * Prints one JSON line: records, seconds, created, updated, and the CPU ms the loop used.
 */
import { parseArgs } from 'node:util';
import { parsePhoneNumberWithError } from 'libphonenumber-js';
import { z } from 'zod';
import { crmRecords } from '../harness/records.ts';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    records: { type: 'string', default: '300' },
    region: { type: 'string', default: 'ID' },
  },
});
const args = z
  .object({
    'base-url': z.url(),
    'api-key': z.string().min(1),
    records: z.coerce.number().int().positive(),
    region: z.string().length(2),
  })
  .parse(values);

const headers = { authorization: `Bearer ${args['api-key']}`, 'content-type': 'application/json' };
const contactSchema = z.object({
  id: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
});
const pageSchema = z.object({ data: z.array(contactSchema) });

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${args['base-url']}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function search(q: string) {
  return pageSchema.parse(await call('GET', `/contacts?q=${encodeURIComponent(q)}`)).data;
}

const started = performance.now();
const cpuBefore = process.cpuUsage();
let created = 0;
let updated = 0;
for (const record of crmRecords(args.records)) {
  const d = record.data as Record<string, string>;
  const phone = parsePhoneNumberWithError(d.phone ?? '', args.region as 'ID').number;
  const email = (d.email ?? '').trim().toLowerCase();
  const contact = {
    name: d.name,
    phone,
    email,
    company: d.company,
    tags: (d.tags ?? '').split(';'),
    custom_attributes: { tier: d.tier },
  };
  // Sahut's search is a substring match: keep only exact hits.
  let found = (await search(phone)).find((c) => c.phone === phone);
  if (!found) found = (await search(email)).find((c) => c.email?.toLowerCase() === email);
  if (found) {
    await call('PUT', `/contacts/${found.id}`, contact);
    updated++;
  } else {
    await call('POST', '/contacts', contact);
    created++;
  }
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(JSON.stringify({ records: args.records, seconds, created, updated, cpuMs }));
