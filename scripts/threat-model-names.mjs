// docs/THREAT-MODEL.md names the tests that check each invariant and bound, as `file`: "test name".
// This finds every such name that no test file of that name contains, so the document cannot go on
// citing a test that was renamed or removed. A name with "…" matches when each of its parts does
// (names built from template literals); whitespace is compared collapsed (the document wraps lines).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const CITATION =
  /`([\w./-]+\.(?:ts|mjs))`:?\s*((?:(?:the suite )?"[^"]+"(?:\s*\([^)]*\))?(?:,|;| and| or)?\s*)+)/g;
const collapse = (text) => text.replace(/\s+/g, ' ');

/** Every test and source file of the workspaces, by file name. */
export function testSources(root) {
  const byName = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mjs)$/.test(entry)) byName.set(entry, [...(byName.get(entry) ?? []), path]);
    }
  };
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const pkg of [...workspaces, 'scripts']) walk(join(root, pkg));
  return (name) => (byName.get(name) ?? []).map((path) => collapse(readFileSync(path, 'utf8'))).join('\n');
}

/** The citations of `markdown` whose test is not found: [{ file, name }], and how many were checked. */
export function unmatchedTestNames(markdown, sourceOf) {
  const unmatched = [];
  let checked = 0;
  for (const [, file, list] of markdown.matchAll(CITATION)) {
    const text = sourceOf(basename(file));
    for (const [, cited] of list.matchAll(/"([^"]+)"/g)) {
      checked += 1;
      const parts = collapse(cited)
        .split(/…|\.\.\./)
        .map((part) => part.trim())
        .filter(Boolean);
      if (text === '' || !parts.every((part) => text.includes(part))) unmatched.push({ file, name: cited });
    }
  }
  return { unmatched, checked };
}
