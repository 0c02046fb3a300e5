import { ConfigError } from './errors.ts';

const REFERENCE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string of the parsed connections file with the
 * environment variable NAME, so secrets (a CRM database password in a `url`)
 * live in the environment, not in the file. A reference to an unset variable
 * stops start-up, naming where it is and what to set.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, file: string, at = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '')
        throw new ConfigError(
          `Invalid configuration in ${file}:\n  ${at}: \${${name}} is not set — set ${name} in the environment or .env`,
        );
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, file, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, file, at ? `${at}.${k}` : k)]),
    );
  return value;
}

/**
 * The values of the variables a connections file refers to, to be scrubbed from
 * every log line like the other secrets (a password it puts into a URL).
 */
export function referencedValues(text: string, env: NodeJS.ProcessEnv): string[] {
  return [...text.matchAll(REFERENCE)].flatMap(([, name]) => {
    const value = name ? env[name] : undefined;
    return value ? [value] : [];
  });
}
