import type { z } from 'zod';

export interface MappingIssue {
  /** Dotted path in the mapping file, e.g. `fields.tags.separator`. */
  path: string;
  message: string;
}

/** A mapping file that cannot be used; the message lists `path: problem` lines. */
export class MappingError extends Error {
  readonly code = 'MAPPING_INVALID';
  readonly issues: readonly MappingIssue[];
  constructor(source: string, issues: readonly MappingIssue[]) {
    super(`Invalid mapping in ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'MappingError';
    this.issues = issues;
  }

  static fromZod(source: string, issues: readonly z.core.$ZodIssue[]): MappingError {
    return new MappingError(
      source,
      issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(root)',
        message: describe(issue),
      })),
    );
  }
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_small':
      return 'must not be empty';
    default:
      return issue.message;
  }
}
