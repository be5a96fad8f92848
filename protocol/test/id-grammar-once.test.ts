import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ID_CHARACTER_CLASS, STREAM_ID_TEXT_SOURCE } from '../src/index.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] })
  .workspaces;
/** The one file that may spell the grammars out. */
const GRAMMAR_FILE = join('protocol', 'src', 'ids.ts');
/** Build output and installed packages are not sources. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.git']);

/** The character classes of the two grammars, read from ids.ts itself (so this file does not spell them). */
const idClass = ID_CHARACTER_CLASS;
const streamIdClass = STREAM_ID_TEXT_SOURCE.slice(0, STREAM_ID_TEXT_SOURCE.indexOf('{'));

function typeScriptSources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : typeScriptSources(path);
    return /\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('the id and stream id grammars are written once, in protocol/src/ids.ts', () => {
  const sources = workspaces.flatMap((workspace) => typeScriptSources(join(root, workspace)));

  it('reads the character classes from ids.ts and finds the sources of every workspace', () => {
    assert.match(idClass, /^\[.+\]$/);
    assert.match(streamIdClass, /^\[.+\]$/);
    const grammar = readFileSync(join(root, GRAMMAR_FILE), 'utf8');
    assert.ok(grammar.includes(idClass) && grammar.includes(streamIdClass), 'ids.ts spells both classes');
    for (const workspace of workspaces)
      assert.ok(
        sources.some((path) => relative(root, path).startsWith(join(workspace, 'src'))),
        `no sources found in ${workspace}/src`,
      );
    assert.ok(
      sources.some((path) => relative(root, path) === join('device-agent', 'src', 'outbox', 'event-file.ts')),
    );
  });

  it('no other .ts file (src, test, bench, web of any workspace) spells either class', () => {
    const offenders = sources
      .filter((path) => relative(root, path) !== GRAMMAR_FILE)
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .flatMap((line, index) =>
            line.includes(idClass) || line.includes(streamIdClass)
              ? [`${relative(root, path)}:${index + 1}`]
              : [],
          ),
      );
    assert.deepEqual(
      offenders,
      [],
      'use ID_TEXT_SOURCE / ID_TEXT_PATTERN / ID_CHARACTER_CLASS, STREAM_ID_TEXT_SOURCE / STREAM_ID_TEXT_PATTERN / STREAM_ID_RULE, isStreamId / isEventId … from @sealcam/protocol',
    );
  });
});
