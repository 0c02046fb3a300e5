import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, docPage, docPages, linkTargets, ROOT } from './helpers/docs.ts';

/** Every relative link of README.md and docs/*.md, and its `#anchor`, leads somewhere. */
describe('links between the docs', () => {
  const pages = docPages();
  const anchors = new Map<string, Set<string>>();
  const anchorsAt = (path: string) => {
    const known = anchors.get(path) ?? anchorsOf(docPage(path));
    anchors.set(path, known);
    return known;
  };

  it.each(pages.map((p) => [p.path, p] as const))('%s', (_, page) => {
    const broken = linkTargets(page)
      .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href))
      .filter((href) => {
        const [file = '', anchor] = href.split('#');
        const target = file ? normalize(join(dirname(page.path), decodeURI(file))) : page.path;
        if (target.startsWith('..') || !existsSync(join(ROOT, target))) return true;
        return anchor !== undefined && (!target.endsWith('.md') || !anchorsAt(target).has(anchor));
      });
    expect(broken).toEqual([]);
  });

  it('are checked on every page, and the docs link to one another', () => {
    expect(pages.map((p) => p.path)).toContain('docs/configuration.md');
    expect(pages.flatMap(linkTargets).filter((href) => href.includes('.md#')).length).toBeGreaterThan(10);
  });
});
