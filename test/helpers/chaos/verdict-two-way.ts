import type { AgentEdit, Agents } from './agents.ts';
import type { ChaosDeployment } from './deployment.ts';
import type { CrmEditRecord } from './driver.ts';

/** The two-way half of the verdict: agents' edits and walk-ins against the CRM, the links and the audit. */

/**
 * Every walk-in tagged `lead` has exactly one CRM row holding its phone or
 * email and exactly one link; the others have none of either.
 */
export async function judgeWalkIns(
  d: ChaosDeployment,
  agents: Agents,
  claims: ReadonlyMap<string, string[]>,
  note: (line: string) => void,
) {
  let [missing, duplicate, wrong] = [0, 0, 0];
  const links = Map.groupBy(
    await d.store.getLinksBySahutIds(
      d.connection.name,
      agents.walkIns.map((w) => w.sahutId),
    ),
    (l) => l.sahutId,
  );
  for (const w of agents.walkIns) {
    const rows = claims.get(w.sahutId) ?? [];
    const linked = links.get(w.sahutId) ?? [];
    if (!w.selected) {
      if (rows.length > 0 || linked.length > 0) {
        wrong++;
        note(
          `walk-in ${w.sahutId} is not tagged lead, yet CRM rows ${rows.join(', ')} / ${linked.length} links`,
        );
      }
      continue;
    }
    // Two rows are already counted as a duplicate with the contacts.
    if (rows.length === 0 || linked.length === 0) {
      missing++;
      note(`walk-in ${w.sahutId} (${w.phone}): ${rows.length} CRM rows, ${linked.length} links`);
    } else if (linked.length > 1) {
      duplicate += linked.length - 1;
      note(`walk-in ${w.sahutId}: linked to CRM rows ${linked.map((l) => l.crmId).join(', ')}`);
    }
  }
  return { missing, duplicate, wrong };
}

/** The CRM column of each field an agent edits, and whether a value is in it. */
type Columns = { company_name?: unknown; email?: unknown; tier?: unknown; segments?: unknown };
const HOLDS: Record<Exclude<AgentEdit['field'], 'name'>, (row: Columns, v: string) => boolean> = {
  company: (row, v) => String(row.company_name ?? '').trim() === v,
  email: (row, v) =>
    String(row.email ?? '')
      .trim()
      .toLowerCase() === v,
  tier: (row, v) => String(row.tier ?? '').trim() === v,
  tag: (row, v) =>
    String(row.segments ?? '')
      .split(';')
      .map((t) => t.trim())
      .includes(v),
};
const COLUMN = { company: 'company_name', email: 'email', tier: 'tier', tag: 'segments' } as const;
/** The audit's name of each field. */
const AUDIT_FIELD = {
  company: 'company',
  email: 'email',
  tier: 'custom_attributes.customer_tier',
  tag: 'tags',
};

/**
 * An agent's edit (the last of each contact and field; every tag added)
 * reached the CRM when the row holds it now, or held it when people's CRM
 * edit replaced it later; else it must have lost a conflict by the owner
 * rules, with a conflict row naming the field. Otherwise it is lost. A rename
 * of the CRM-owned name must not reach the CRM: `wrong` above checks that
 * Sahut got the CRM's name back.
 */
export async function lostEdits(
  d: ChaosDeployment,
  edits: readonly AgentEdit[],
  rows: readonly Record<string, unknown>[],
  crmEdits: readonly CrmEditRecord[],
  note: (line: string) => void,
  troubled: string[],
): Promise<{ lost: number; unnamed: number }> {
  const last = new Map<string, AgentEdit>();
  for (const e of edits) {
    if (e.field === 'name') continue;
    last.set(e.field === 'tag' ? `${e.sahutId} tag ${e.value}` : `${e.sahutId} ${e.field}`, e);
  }
  const links = new Map(
    (await d.store.getLinksBySahutIds(d.connection.name, [...new Set(edits.map((e) => e.sahutId))])).map(
      (l) => [l.sahutId, l.crmId],
    ),
  );
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  let [lost, unnamed] = [0, 0];
  for (const e of last.values()) {
    const field = e.field as keyof typeof HOLDS;
    const crmId = links.get(e.sahutId);
    const row = crmId ? byId.get(crmId) : undefined;
    if (row && HOLDS[field](row, e.value)) continue;
    const replaced = crmEdits.some((c) => {
      const before = crmId === undefined ? undefined : c.before.get(crmId);
      return c.committedAt > e.at && before !== undefined && HOLDS[field](before, e.value);
    });
    if (replaced) continue;
    if (crmId && (await lostConflict(d, crmId, AUDIT_FIELD[field]))) continue;
    if (
      crmId &&
      row &&
      crmWonUnnamed(
        d,
        e,
        row,
        crmEdits.filter((c) => c.ids.includes(crmId)),
      )
    ) {
      unnamed++;
      note(
        `unnamed conflict: agent's company ${JSON.stringify(e.value)} of contact ${e.sahutId} lost to crm ${crmId}'s ${JSON.stringify(row.company_name)} (onConflict: crm); no audit row names the field`,
      );
      continue;
    }
    lost++;
    if (crmId) troubled.push(crmId);
    const mine = crmId === undefined ? [] : crmEdits.filter((c) => c.ids.includes(crmId));
    const column = row ? JSON.stringify(row[COLUMN[field]] ?? null) : 'no row';
    note(
      `lost: agent's ${e.field} ${JSON.stringify(e.value)} (${new Date(e.at).toISOString().slice(11, 23)}) of contact ${e.sahutId} is not in crm ${crmId ?? '(unlinked)'}: ${column}; ${
        mine.length
      } CRM edits of the row${mine.map((c) => ` (committed ${new Date(c.committedAt).toISOString().slice(11, 23)} over ${JSON.stringify(c.before.get(crmId as string))})`).join('')}`,
    );
  }
  return { lost, unnamed };
}

/**
 * A company both sides changed, which the CRM won by `onConflict: crm` (the row holds a CRM edit's
 * value that had not reached Sahut when the agent edited), yet no audit row names it: the attempt
 * that resolved it died before its audit row, and the next one found both sides agreeing (it reports
 * a bare `conflict` "written by an earlier attempt of this run", or, in a later run, `unchanged`).
 */
function crmWonUnnamed(
  d: ChaosDeployment,
  e: AgentEdit,
  row: Record<string, unknown>,
  edits: readonly CrmEditRecord[],
): boolean {
  const value = String(row.company_name ?? '');
  if (e.field !== 'company' || !edits.some((c) => c.values.company_name === value)) return false;
  const syncedBefore = d
    .journal(e.sahutId)
    .some((j) => j.who === 'sync' && j.method === 'PUT' && j.at < e.at && j.body?.company === value);
  return !syncedBefore;
}

/** A conflict row of the record names the field. */
async function lostConflict(d: ChaosDeployment, crmId: string, field: string): Promise<boolean> {
  const { rows } = await d.store.queryAudit({
    connection: d.connection.name,
    crmId,
    action: 'conflict',
    limit: 200,
  });
  return rows.some((r) =>
    ((r.detail as { conflicts?: { field: string }[] } | undefined)?.conflicts ?? []).some(
      (c) => c.field === field,
    ),
  );
}
