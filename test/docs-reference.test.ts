import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectionsFileSchema, ENV_KEYS } from '../src/config/index.ts';
import { mappingSchema } from '../src/mapping/index.ts';
import { unknownArgs } from './helpers/cli.ts';
import {
  codeBlocks,
  codeSpans,
  type DocPage,
  docPage,
  docPages,
  ROOT,
  tableKeysUnder,
} from './helpers/docs.ts';
import { schemaKeys } from './helpers/schema-keys.ts';

/**
 * What README.md and every page of docs/ show a reader to type or set is what the code has:
 * commands and options of the CLI, npm scripts, files of the repository, configuration keys.
 */
const pages = docPages();

/** Every line of every code block and every code span, with the page it is on. */
const snippets = pages.flatMap((page: DocPage) =>
  [...codeBlocks(page).flatMap((b) => b.text.split('\n')), ...codeSpans(page)].map((text) => ({
    page: page.path,
    text,
  })),
);

/** The argv of a `sahut-sync …` (or `… dist/cli/main.js …`) line, without prompt, comment or redirection. */
function cliArgv(text: string): string[] | undefined {
  const args = /args: (\[.*\])/.exec(text)?.[1];
  if (args) return JSON.parse(args) as string[];
  const rest = /(?:^|[\s$])(?:sahut-sync|dist\/cli\/main\.js|src\/cli\/main\.ts)\s+([a-z].*)$/s.exec(
    text,
  )?.[1];
  if (!rest) return undefined;
  const argv = rest
    .split(/\s#|>>|\s2?>|&&/)[0]
    ?.replace(/[[\]()\\…]|\s\|\s/g, ' ')
    .split(/\s+/)
    .map((word) => word.replace(/,$/, ''))
    .filter(Boolean);
  return argv?.length ? argv : undefined;
}

describe('the docs show only what the code has', () => {
  it('every sahut-sync command runs a command and options the CLI has', () => {
    const commands = snippets.flatMap(({ page, text }) => {
      const argv = cliArgv(text);
      return argv ? [{ page, argv }] : [];
    });
    expect(commands.length).toBeGreaterThan(20);
    const unknown = commands.flatMap(({ page, argv }) => unknownArgs(argv).map((p) => `${page}: ${p}`));
    expect(unknown).toEqual([]);
  });

  it('every npm script run is one of package.json', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const named = snippets.flatMap(({ page, text }) =>
      [...text.matchAll(/\bnpm (?:run ([\w:.-]+)|(test|start)\b)/g)].map((m) => ({
        page,
        script: m[1] ?? m[2],
      })),
    );
    expect(named.map((n) => n.script)).toContain('test');
    expect(named.filter((n) => !(n.script && n.script in scripts))).toEqual([]);
  });

  it('every file or folder of the repository named in code exists', () => {
    const paths = snippets.flatMap(({ page, text }) =>
      [...text.matchAll(/(?<![\w./-])((?:src|test|config|deploy|bench|docs|\.ci)\/[\w./-]*)/g)].map((m) => ({
        page,
        path: (m[1] ?? '').replace(/\.$/, ''),
      })),
    );
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter(({ path }) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('every connections file and mapping shown is valid as shown', () => {
    const examples = pages.flatMap((page) =>
      codeBlocks(page)
        .filter((b) => b.lang === 'yaml' && /^(connections|fields):/m.test(b.text))
        .map((b) => ({ page: page.path, text: b.text })),
    );
    expect(examples.length).toBeGreaterThan(4);
    for (const { page, text } of examples) {
      // `${NAME}` stands for a secret from the environment; any value will do here.
      const raw = parse(text.replace(/\$\{[A-Z_][A-Z0-9_]*\}/g, 'secret')) as Record<string, unknown>;
      const schema = 'connections' in raw ? connectionsFileSchema : mappingSchema;
      const parsed = schema.safeParse(raw);
      expect(parsed.error?.issues ?? [], `${page}:\n${text}`).toEqual([]);
    }
  });
});

describe('docs/configuration.md lists exactly the keys of the schemas', () => {
  const configuration = [docPage('docs/configuration.md')];
  const sorted = (keys: readonly string[]) => [...keys].sort();
  /** The keys of `schema` below `prefix`, e.g. those of one connection below `connections.*.`. */
  const keysBelow = (keys: readonly string[], prefix: string) =>
    keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));

  it('the environment variables (src/config/env.ts)', () => {
    expect(sorted(tableKeysUnder(configuration, 'Environment variables'))).toEqual(sorted(ENV_KEYS));
  });

  it('the keys of a connection (src/config/connections.ts, src/crm/config.ts)', () => {
    const keys = keysBelow(schemaKeys(connectionsFileSchema), 'connections.*.');
    expect(sorted(tableKeysUnder(configuration, 'Keys of a connection'))).toEqual(sorted(keys));
  });

  it('the keys of a mapped field (src/mapping/schema.ts)', () => {
    const keys = keysBelow(schemaKeys(mappingSchema), 'fields.*.');
    expect(sorted(tableKeysUnder(configuration, 'Keys of a field'))).toEqual(sorted(keys));
  });
});

describe('the test command', () => {
  it('is the one the README gives and .ci/run runs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('bash .ci/node24 npm test');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^bash \.ci\/node24 npm test$/m);
  });
});
