import { z } from 'zod';

/** The bundled sandbox's key unless .env sets SAHUT_API_KEY (the compose default). */
export const SANDBOX_KEY = 'sandbox-key';

const pageSchema = z.object({
  data: z.array(z.object({ id: z.string(), phone: z.string().nullish(), email: z.string().nullish() })),
  meta: z.object({ total_pages: z.number() }),
});
export type SandboxContact = z.infer<typeof pageSchema>['data'][number];

/** Every contact the sandbox holds, through its Contacts API (GET /v1/contacts, 100 a page). */
export async function sandboxContacts(baseUrl: string): Promise<SandboxContact[]> {
  const contacts: SandboxContact[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${baseUrl}/contacts?per_page=100&page=${page}`, {
      headers: { authorization: `Bearer ${SANDBOX_KEY}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`sandbox answered ${res.status} to GET /contacts`);
    const body = pageSchema.parse(await res.json());
    contacts.push(...body.data);
    if (page >= body.meta.total_pages) return contacts;
  }
}

/** Values held by more than one contact (a duplicate in Sahut), for phones and emails. */
export function duplicates(contacts: readonly SandboxContact[]): string[] {
  const seen = new Map<string, number>();
  for (const c of contacts) {
    for (const key of [c.phone, c.email?.toLowerCase()]) {
      if (key) seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  return [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
}
