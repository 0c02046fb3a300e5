import { InvalidArgumentError } from 'commander';

export function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function dateOption(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError('expected an ISO date such as 2026-11-25T08:00:00Z');
  return d;
}
