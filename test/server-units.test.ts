import { describe, expect, it } from 'vitest';
import { maskEmail, maskName, maskPhone, maskPii, maskText } from '../src/pii/index.ts';
import { mergePages } from '../src/search/index.ts';
import { isLoopback } from '../src/server/auth/settings.ts';
import { redact } from '../src/server/board/redact.ts';
import { ERRORS } from '../src/server/errors/catalogue.ts';
import { toErrorBody } from '../src/server/errors/handler.ts';
import { html } from '../src/server/pages/html.ts';
import type { AuditPage, AuditRow } from '../src/store/index.ts';
import { StoreArgumentError } from '../src/store/index.ts';

const row = (id: number): AuditRow => ({
  id: String(id),
  at: new Date(0),
  runId: 'r',
  jobId: null,
  connection: 'c',
  direction: 'crm-to-sahut',
  crmId: 'x',
  sahutId: null,
  action: 'updated',
  diff: null,
  error: null,
  attempt: 1,
});
const page = (ids: number[], more: boolean): AuditPage => ({
  rows: ids.map(row),
  nextCursor: more ? String(ids.at(-1)) : null,
});

describe('mergePages', () => {
  it('keeps the newest rows of the union and continues below the last one shown', () => {
    const merged = mergePages([page([100, 90, 9], true), page([95, 90, 10], false)], 3);
    expect(merged.rows.map((r) => r.id)).toEqual(['100', '95', '90']);
    expect(merged.nextCursor).toBe('90');
  });

  it('orders ids numerically, not as text', () => {
    const merged = mergePages([page([1000, 999], false), page([99], false)], 5);
    expect(merged.rows.map((r) => r.id)).toEqual(['1000', '999', '99']);
    expect(merged.nextCursor).toBeNull();
  });
});

describe('masking and redaction', () => {
  it('masks phones, emails and names', () => {
    expect(maskPhone('+62 812-3456-7789')).toBe('+62812****789');
    expect(maskEmail('budi@example.com')).toBe('b***@example.com');
    expect(maskName('Budi  Santoso')).toBe('B*** S***');
    expect(maskPhone('123')).toBe('****');
  });

  it('redacts secrets at any depth without touching the input', () => {
    const input = { a: [{ b: { api_key: 'k', sahutToken: 't', keep: 'v' } }], Cookie: 'c', password: null };
    expect(redact(input, { pii: false })).toEqual({
      a: [{ b: { api_key: '[REDACTED]', sahutToken: '[REDACTED]', keep: 'v' } }],
      Cookie: '[REDACTED]',
      password: null,
    });
    expect(input.a[0]?.b.api_key).toBe('k');
  });

  it('leaves ids and numbers alone when masking PII', () => {
    const ids = {
      id: '10045678',
      crmId: '+6281234567789',
      sahut_id: 'crm-1234567',
      count: 1234567,
      tags: ['vip'],
    };
    expect(redact(ids, { pii: true })).toEqual(ids);
    expect(redact({ note: '0812 3456 7789' }, { pii: true })).toEqual({ note: '081234****789' });
  });
});

describe('maskText and maskPii', () => {
  it.each([
    [
      'invalid phone "12345": not a valid number for region ID',
      'invalid phone "****": not a valid number for region ID',
    ],
    [
      'invalid email "not-an-email": not a valid email address',
      'invalid email "***": not a valid email address',
    ],
    [
      'ambiguous: phone +6281234567789 matches ct_1, ct_2; email budi@example.com matches ct_3',
      'ambiguous: phone +62812****789 matches ct_1, ct_2; email b***@example.com matches ct_3',
    ],
    [
      'conflict on name: CRM "Budi Santoso", Sahut "Budy" → kept CRM; conflict on company: CRM "PT A", Sahut "PT B" → kept CRM',
      'conflict on name: CRM "B*** S***", Sahut "B***" → kept CRM; conflict on company: CRM "PT A", Sahut "PT B" → kept CRM',
    ],
    [
      'HTTP 422: {"name":"Budi Santoso","phone":"0812-3456-7789","code":"taken"}',
      'HTTP 422: {"name":"B*** S***","phone":"081234****789","code":"taken"}',
    ],
    // Not personal: ids, dates, times, line numbers, statuses.
    [
      'run-1732912345678 at 2025-01-02 03:04:05 (file.ts:123:45) HTTP 503 ct_178CH5P0J9R18J crm-10045678',
      null,
    ],
  ])('masks %j', (text, masked) => {
    expect(maskText(text)).toBe(masked ?? text);
    expect(maskText(maskText(text))).toBe(masked ?? text);
  });

  it('masks by key, everything under a personal key, and free text elsewhere; ids, cursors and dates stay', () => {
    const at = new Date(0);
    const row = {
      id: '1234567890',
      crmId: '081234567789',
      next_cursor: '1234567890',
      at,
      diff: { name: { before: 'Budi', after: 'Budi Santoso' }, tags: { before: [], after: ['vip'] } },
      detail: { candidates: [{ id: 'ct_1', phone: '+6281234567789', email: 'budi@example.com' }] },
      error: 'email budi@example.com matches ct_3',
    };
    const masked = maskPii(row);
    expect(masked).toEqual({
      ...row,
      diff: { name: { before: 'B***', after: 'B*** S***' }, tags: { before: [], after: ['vip'] } },
      detail: { candidates: [{ id: 'ct_1', phone: '+62812****789', email: 'b***@example.com' }] },
      error: 'email b***@example.com matches ct_3',
    });
    expect(masked.at).toBe(at);
    expect(row.diff.name.after).toBe('Budi Santoso');
  });
});

describe('error bodies', () => {
  it('keeps our messages, hides unknown ones', () => {
    expect(toErrorBody(new StoreArgumentError('Invalid audit cursor'))).toEqual({
      statusCode: 400,
      code: 'BAD_QUERY',
      error: 'Bad Request',
      message: 'Invalid audit cursor',
    });
    expect(toErrorBody(new Error('connect ECONNREFUSED 10.0.0.5:5432'))).toEqual({
      statusCode: 500,
      code: 'INTERNAL',
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
    const unsupported = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 });
    expect(toErrorBody(unsupported)).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
  });

  it('every catalogue code is UPPER_SNAKE with a real HTTP status', () => {
    for (const [code, { statusCode }] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(toErrorBody(Object.assign(new Error(), { statusCode })).statusCode).toBe(
        Math.min(statusCode, 500),
      );
    }
  });
});

describe('html', () => {
  it('escapes interpolated values but not nested markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${['&', null, 1]}</p>`.value).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&amp;1</p>',
    );
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'LOCALHOST'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.nip.io'].some(isLoopback)).toBe(false);
  });
});
