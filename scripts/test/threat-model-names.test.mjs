// Every test that docs/THREAT-MODEL.md cites exists under that name (scripts/threat-model-names.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testSources, unmatchedTestNames } from '../threat-model-names.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

test('the citation check finds a renamed test and accepts wrapped and templated names', () => {
  const sources = {
    // A test name built from a template literal, as it reads in its source file.
    'a.test.ts': `it('refuses a frame of another camera', …); it(\`\${N} devices stay within the cache\`, …)`,
  };
  const markdown = [
    '`relay/test/a.test.ts`: "refuses a frame of\n  another camera", "… devices stay within the cache",',
    '"a test that was renamed"; `gone.test.ts`: "anything"',
  ].join(' ');
  const { unmatched, checked } = unmatchedTestNames(markdown, (name) => sources[name] ?? '');
  assert.equal(checked, 4);
  assert.deepEqual(
    unmatched.map(({ name }) => name),
    ['a test that was renamed', 'anything'],
  );
});

test('every test docs/THREAT-MODEL.md cites exists under its name', () => {
  const markdown = readFileSync(join(root, 'docs', 'THREAT-MODEL.md'), 'utf8');
  const { unmatched, checked } = unmatchedTestNames(markdown, testSources(root));
  assert.ok(checked >= 100, `only ${checked} citations found: has the document's format changed?`);
  assert.deepEqual(unmatched, []);
});
