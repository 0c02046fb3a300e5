import { API_KEY } from '../env.ts';
import { AGENT_HEADER, type ChaosDeployment } from './deployment.ts';
import { pick, type Random } from './schedule.ts';

/** A field an agent edits; each maps to one CRM column by config/mapping.example.yaml. */
export type AgentField = 'company' | 'email' | 'tier' | 'tag' | 'name';

export interface AgentEdit {
  sahutId: string;
  field: AgentField;
  /** The value set (for `tag`, the tag added). */
  value: string;
  at: number;
}

export interface WalkIn {
  sahutId: string;
  phone: string;
  email: string;
  /** Tagged `lead`: `createInCrm` selects it; the others must be left alone. */
  selected: boolean;
}

const FIELDS: readonly AgentField[] = ['company', 'company', 'tag', 'tag', 'tier', 'email', 'name'];

/**
 * Agents at work in Sahut while the sync runs: they edit synced contacts (a
 * company, a tag added, the tier, an email, a rename of the CRM-owned name)
 * through Sahut's API as any client would (a 503 is tried again), and people
 * write in and become new contacts (walk-ins, three in four tagged `lead`).
 * Every edit and walk-in is recorded for the verdict.
 */
export function createAgents(d: ChaosDeployment, random: Random, seed: number) {
  const edits: AgentEdit[] = [];
  const walkIns: WalkIn[] = [];
  const walkInIds = new Set<string>();
  let n = 0;

  const put = async (id: string, body: Record<string, unknown>) => {
    await agentRequest(d, 'PUT', `/v1/contacts/${id}`, body);
  };

  /**
   * Contacts the sync created and linked. One it created but has not linked yet (its POST's answer
   * was lost, the process killed) gets the CRM's values at its first link, an agent's edit included
   * (the audit's `linked` row shows it): a documented rule, not what this suite checks.
   */
  async function linked() {
    const contacts = d.sandbox.contacts().filter((c) => !walkInIds.has(c.id));
    const ids = new Set(
      (
        await d.store.getLinksBySahutIds(
          d.connection.name,
          contacts.map((c) => c.id),
        )
      ).map((l) => l.sahutId),
    );
    return contacts.filter((c) => ids.has(c.id));
  }

  async function editOne(): Promise<void> {
    const contact = pick(random, await linked());
    const field = pick(random, FIELDS);
    const k = ++n;
    const value =
      field === 'company'
        ? `Agent ${k}`
        : field === 'tag'
          ? `agent-${k}`
          : field === 'tier'
            ? `tier-${k}`
            : field === 'email'
              ? `agent${k}.s${seed}@example.org`
              : `Agent Rename ${k}`;
    const body =
      field === 'tag'
        ? { tags: [...contact.tags, value] }
        : field === 'tier'
          ? { custom_attributes: { customer_tier: value } }
          : { [field]: value };
    const at = Date.now();
    await put(contact.id, body);
    edits.push({ sahutId: contact.id, field, value, at });
  }

  return {
    edits,
    walkIns,
    /** `count` edits of synced contacts, one after another. */
    async edit(count: number): Promise<void> {
      for (let i = 0; i < count; i++) await editOne();
    },
    /** `count` people write in: new contacts with a fresh phone and email. */
    walkIn(count: number): void {
      const people = Array.from({ length: count }, () => {
        const k = ++n;
        const selected = random() < 0.75;
        return {
          name: `Walk-in ${k}`,
          phone: `+62877${String(10_000_000 + (((seed % 1000) * 9973 + k * 7) % 90_000_000)).padStart(8, '0')}`,
          email: `walkin${k}.s${seed}@example.org`,
          tags: selected ? ['lead'] : ['prospect'],
          selected,
        };
      });
      const created = d.sandbox.seed(people.map(({ selected: _s, ...p }) => p));
      created.forEach((c, i) => {
        walkInIds.add(c.id);
        const person = people[i] as (typeof people)[number];
        walkIns.push({ sahutId: c.id, phone: person.phone, email: person.email, selected: person.selected });
      });
    },
  };
}

export type Agents = ReturnType<typeof createAgents>;

/** An agent's request to Sahut, as any client makes it: a 5xx is tried again. */
export async function agentRequest(
  d: ChaosDeployment,
  method: 'PUT' | 'POST' | 'DELETE',
  url: string,
  body?: Record<string, unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const reply = await d.sandbox.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${API_KEY}`, [AGENT_HEADER]: '1' },
      ...(body ? { payload: body } : {}),
    });
    if (reply.statusCode < 300) return;
    if (reply.statusCode < 500 || attempt >= 20)
      throw new Error(`agent ${method} ${url}: ${reply.statusCode} ${reply.body}`);
  }
}
