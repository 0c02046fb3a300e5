/** `fail`: something must be fixed before sahut-sync can work; `warn`: it works, but should be looked at. */
export type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  /** `config`, `redis`, `store`, `sahut`, `connection crm`. */
  group: string;
  name: string;
  status: Status;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

/** A group's checks, built in order. */
export type Checklist = ReturnType<typeof checksOf>;

export function checksOf(group: string) {
  const checks: Check[] = [];
  const add = (status: Status) => (name: string, detail: string, fix?: string) => {
    checks.push({ group, name, status, detail, ...(fix === undefined ? {} : { fix }) });
  };
  return { checks, ok: add('ok'), warn: add('warn'), fail: add('fail') };
}

/** An error and its causes in one line (`Sahut unavailable for GET /contacts: GET /contacts: network ECONNREFUSED`). */
export function messageOf(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const text = describe(current);
    if (text !== '' && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

function describe(err: unknown): string {
  // A connection refused on every address of a host is an AggregateError without a message.
  if (err instanceof AggregateError && err.message === '') return err.errors.map(describe).join('; ');
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return err.message || (typeof code === 'string' ? code : err.name);
}
