import { describe, expect, it } from 'vitest';
import { exitCodeFor, latestActions, summarise } from '../src/sync/index.ts';

describe('summarise', () => {
  it('counts every action, zeros included', () => {
    expect(summarise(['created', 'created', 'unchanged', 'failed'])).toEqual({
      created: 2,
      updated: 0,
      unchanged: 1,
      linked: 0,
      ambiguous: 0,
      rejected: 0,
      failed: 1,
    });
  });
});

describe('latestActions', () => {
  it('keeps only the latest attempt per record', () => {
    const actions = latestActions([
      { crmId: 'c1', sahutId: null, action: 'failed', attempt: 1 },
      { crmId: 'c2', sahutId: null, action: 'created', attempt: 1 },
      { crmId: 'c1', sahutId: 's1', action: 'updated', attempt: 2 },
      { crmId: null, sahutId: 's9', action: 'unchanged', attempt: 1 },
      { crmId: null, sahutId: null, action: 'rejected', attempt: 1 },
    ]);
    expect(actions.sort()).toEqual(['created', 'rejected', 'unchanged', 'updated']);
  });
  it('ignores an older attempt reported late', () => {
    const actions = latestActions([
      { crmId: 'c1', sahutId: null, action: 'updated', attempt: 3 },
      { crmId: 'c1', sahutId: null, action: 'failed', attempt: 2 },
    ]);
    expect(actions).toEqual(['updated']);
  });
});

describe('exitCodeFor', () => {
  it('is 0 when every record succeeded', () => {
    expect(exitCodeFor({ created: 3, updated: 1, unchanged: 9, linked: 2 })).toBe(0);
    expect(exitCodeFor({})).toBe(0);
    expect(exitCodeFor(summarise([]))).toBe(0);
  });
  it.each(['failed', 'ambiguous', 'rejected'] as const)('is 1 when any record was %s', (action) => {
    expect(exitCodeFor({ created: 5, [action]: 1 })).toBe(1);
    expect(exitCodeFor(summarise(['created', action]))).toBe(1);
  });
});
