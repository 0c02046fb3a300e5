import { z } from 'zod';
import {
  ACTION_SOURCES,
  type AttentionAction,
  type AttentionEntry,
  type AttentionKind,
} from '../store/types.ts';
import { ambiguityOf, conflictsOf } from './detail.ts';

/** What a person may do about each kind of entry (docs/dashboard.md: "The attention listing"). */
export const ACTIONS_BY_KIND: Readonly<Record<AttentionKind, readonly AttentionAction[]>> = {
  // retry: after the contacts were merged or fixed in Sahut, match the record again.
  ambiguous: ['link', 'create', 'retry', 'acknowledge'],
  failed: ['retry', 'acknowledge'],
  rejected: ['acknowledge'],
  conflict: ['take', 'acknowledge'],
  'duplicate-suspected': ['acknowledge'],
  // recreate: POST the contact again from the CRM record; unlink: close the link, the CRM record stays.
  'gone-in-sahut': ['recreate', 'unlink', 'acknowledge'],
  // confirm: a run acts on the removals the guard held back (as run --once --allow-deletes).
  'deletion-guard': ['confirm', 'acknowledge'],
};

const name = z.string().trim().min(1).max(200);
const base = { connection: name, id: name };

/** One action as the API, the page's forms and the CLI ask for it. */
export const actionRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...base, action: z.literal('link'), candidate: name }),
  z.strictObject({ ...base, action: z.literal('create') }),
  z.strictObject({ ...base, action: z.literal('retry') }),
  z.strictObject({ ...base, action: z.literal('acknowledge') }),
  z.strictObject({ ...base, action: z.literal('take'), field: name, side: z.enum(['crm', 'sahut']) }),
  z.strictObject({ ...base, action: z.literal('recreate') }),
  z.strictObject({ ...base, action: z.literal('unlink') }),
  z.strictObject({ ...base, action: z.literal('confirm') }),
]);
export type ActionRequest = z.infer<typeof actionRequestSchema>;

/** Who asked, audited with the decision. */
export const actorSchema = z.object({ by: z.string().min(1).max(200), via: z.enum(ACTION_SOURCES) });
export type Actor = z.infer<typeof actorSchema>;

export type ActionProblem = { code: 'not-found' | 'not-allowed'; message: string };

/**
 * Why `request` cannot be carried out on `entry` (as the listing holds it
 * now), or null. Checked when it is asked for, and again by the worker.
 */
export function actionProblem(entry: AttentionEntry | null, request: ActionRequest): ActionProblem | null {
  if (!entry)
    return {
      code: 'not-found',
      message: `${request.id} of ${request.connection} is not in the attention listing (settled, or never there)`,
    };
  const allowed = ACTIONS_BY_KIND[entry.kind];
  const refuse = (message: string): ActionProblem => ({ code: 'not-allowed', message });
  if (!allowed.includes(request.action))
    return refuse(`a ${entry.kind} record can be: ${allowed.join(', ')} (not ${request.action})`);
  const crmSide = entry.direction === 'crm-to-sahut' && entry.crmId !== null;
  if ((request.action === 'link' || request.action === 'create') && !crmSide)
    return refuse(
      `${request.action} answers a CRM record matching several Sahut contacts; acknowledge this one`,
    );
  if (request.action === 'link' && !ambiguityOf(entry.detail).candidates.includes(request.candidate))
    return refuse(`${request.candidate} is not one of the candidates of ${entry.id}`);
  if (request.action === 'retry' && entry.crmId === null)
    return refuse('only a record with a CRM id can be retried');
  if (request.action === 'take' && !conflictsOf(entry.detail).some((c) => c.field === request.field))
    return refuse(`${entry.id} has no conflict on ${request.field}`);
  return null;
}

/** e.g. `link crm-42 to ct_9`, for logs, the CLI and the audit row. */
export function describeAction(request: ActionRequest): string {
  switch (request.action) {
    case 'link':
      return `link ${request.id} to ${request.candidate}`;
    case 'create':
      return `create a new contact for ${request.id}`;
    case 'retry':
      return `retry ${request.id}`;
    case 'acknowledge':
      return `acknowledge ${request.id}`;
    case 'take':
      return `keep ${request.side === 'crm' ? "the CRM's" : "Sahut's"} ${request.field} of ${request.id}`;
    case 'recreate':
      return `create the contact of ${request.id} again in Sahut`;
    case 'unlink':
      return `unlink ${request.id} from its vanished contact`;
    case 'confirm':
      return `confirm the removals the deletion guard held back (${request.id})`;
  }
}
