import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import GithubSlugger from 'github-slugger';
import { marked, type Token, type Tokens } from 'marked';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface DocPage {
  /** From the repository root: `README.md`, `docs/connectors.md`. */
  path: string;
  tokens: Token[];
}

/** A markdown file of the repository, parsed. */
export function docPage(path: string): DocPage {
  return { path, tokens: marked.lexer(readFileSync(join(ROOT, path), 'utf8')) };
}

/** README.md and every page of docs/: a page added there is held by the doc tests without a change. */
export function docPages(): DocPage[] {
  return ['README.md', ...globSync('docs/*.md', { cwd: ROOT }).sort()].map(docPage);
}

function tokensOf(page: DocPage, type: string): Token[] {
  const found: Token[] = [];
  marked.walkTokens(page.tokens, (t) => {
    if (t.type === type) found.push(t);
  });
  return found;
}

export const codeBlocks = (page: DocPage) => tokensOf(page, 'code') as Tokens.Code[];
export const codeSpans = (page: DocPage) =>
  (tokensOf(page, 'codespan') as Tokens.Codespan[]).map((t) => t.text);
export const linkTargets = (page: DocPage) => (tokensOf(page, 'link') as Tokens.Link[]).map((t) => t.href);

/** A heading's text as GitHub renders it: code spans and links reduced to their text. */
function plainText(tokens: readonly Token[]): string {
  return tokens
    .map((t) => ('tokens' in t && t.tokens ? plainText(t.tokens) : 'text' in t ? String(t.text) : ''))
    .join('');
}

const headings = (page: DocPage) =>
  page.tokens.filter((t): t is Tokens.Heading => t.type === 'heading').map((h) => plainText(h.tokens));

/** The `#anchors` GitHub gives the page's headings (a repeated heading gets `-1`, `-2`…). */
export function anchorsOf(page: DocPage): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(headings(page).map((h) => slugger.slug(h)));
}

/** The first token that `is` after the heading that starts with `heading`, on any page. */
function firstUnder<T extends Token>(
  pages: readonly DocPage[],
  heading: string,
  what: string,
  is: (t: Token) => boolean,
): T {
  for (const page of pages) {
    const at = page.tokens.findIndex(
      (t) => t.type === 'heading' && plainText(t.tokens ?? []).startsWith(heading),
    );
    const found = at < 0 ? undefined : page.tokens.slice(at + 1).find(is);
    if (found) return found as T;
  }
  throw new Error(`no ${what} under a heading "${heading}" in ${pages.map((p) => p.path).join(', ')}`);
}

/** The first ```lang block after `heading`, wherever the docs put it. */
export const codeUnder = (pages: readonly DocPage[], heading: string, lang: string) =>
  firstUnder<Tokens.Code>(pages, heading, `${lang} block`, (t) => t.type === 'code' && t.lang === lang).text;

/** The first column of the first table after `heading`, for rows whose cell is one `code span`. */
export function tableKeysUnder(pages: readonly DocPage[], heading: string): string[] {
  const table = firstUnder<Tokens.Table>(pages, heading, 'table', (t) => t.type === 'table');
  return table.rows.flatMap((row) => {
    const key = /^`([^`]+)`$/.exec(row[0]?.text ?? '')?.[1];
    return key ? [key] : [];
  });
}
