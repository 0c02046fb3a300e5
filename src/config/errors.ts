import type { z } from 'zod';

/** A bad or missing setting. The message names each variable and the fix, never the value. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }

  /** `given(path)` tells whether the setting was present at all, to tell "required" from "malformed". */
  static fromIssues(
    source: string,
    issues: readonly z.core.$ZodIssue[],
    hint: (path: string) => string = () => '',
    given: (path: string) => boolean = () => true,
  ) {
    const lines = issues.map((issue) => {
      const path = issue.path.join('.') || '(root)';
      const fix = hint(path);
      return `  ${path}: ${describeIssue(issue, given(path))}${fix ? ` — ${fix}` : ''}`;
    });
    return new ConfigError(`Invalid configuration in ${source}:\n${lines.join('\n')}`);
  }
}

// zod's default messages for some issues quote the input; a setting may be a secret, so build our own.
function describeIssue(issue: z.core.$ZodIssue, given: boolean): string {
  switch (issue.code) {
    case 'invalid_type':
      return given ? `expected ${issue.expected}` : 'is required';
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `is too small (minimum ${String(issue.minimum)})`;
    case 'too_big':
      return `is too big (maximum ${String(issue.maximum)})`;
    case 'invalid_format':
      return `is not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}
