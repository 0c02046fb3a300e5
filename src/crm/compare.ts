import { isDeepStrictEqual } from 'node:util';
import type { CrmRecord } from './types.ts';

/**
 * Whether a record still holds what was read of it: every field that was read (a job may carry
 * only the mapped ones) equal, as the connector reads values, so a record that went through a
 * job payload (JSON) compares as read.
 */
export function sameRecordData(expected: CrmRecord['data'], current: CrmRecord['data']): boolean {
  return Object.keys(expected).every((key) => isDeepStrictEqual(plain(expected[key]), plain(current[key])));
}

// A missing field reads as null; JSON gives objects the plain prototype whatever built them.
const plain = (value: unknown): unknown =>
  value === undefined
    ? null
    : value !== null && typeof value === 'object'
      ? JSON.parse(JSON.stringify(value))
      : value;
