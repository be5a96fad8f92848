import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as constants from '../src/constants.js';
import * as errors from '../src/errors.js';
import { WireType } from '../src/relay-wire.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const spec = readFileSync(join(root, 'docs', 'PROTOCOL.md'), 'utf8');
const vectorsDirectory = join(root, 'protocol', 'test-vectors');

/** The text of one top-level section ("## 15. …") up to the next one. */
function section(number: number): string {
  const start = spec.indexOf(`\n## ${number}. `);
  assert.ok(start >= 0, `PROTOCOL.md has a section ${number}`);
  const next = spec.indexOf('\n## ', start + 1);
  return spec.slice(start, next < 0 ? undefined : next);
}

/** Every row of a Markdown table whose first cell is exactly `cell` (in backquotes). */
function rowsStartingWith(text: string, cell: string): string[] {
  return text.split('\n').filter((line) => line.replace(/^\|\s*/, '').startsWith(`${cell} `));
}

const hex2 = (value: number) => `0x${value.toString(16).padStart(2, '0')}`;

describe('docs/PROTOCOL.md documents every constant the code defines', () => {
  it('finds the constants in the compiled modules (not a hand list)', () => {
    assert.ok(Object.keys(constants.Label).length > 10);
    assert.ok(Object.keys(constants.Kind).length > 10);
    assert.ok(Object.keys(errors.ErrorCode).length > 10);
  });

  it('every label: its constant name and exact string on one row of the §1.5 table, with its byte count', () => {
    for (const [name, value] of Object.entries(constants.Label)) {
      const row = rowsStartingWith(section(1), `\`${name}\``).find((line) => line.includes(`\`${value}\``));
      assert.ok(row, `label ${name} = "${value}" is not in the labels table`);
      assert.match(row, new RegExp(`\\|\\s*${value.length}\\s*\\|\\s*$`), `label ${name}: byte count`);
    }
  });

  it('every kind: its byte and constant name on one row of the §1.7 table', () => {
    for (const [name, value] of Object.entries(constants.Kind)) {
      const rows = rowsStartingWith(section(1), `\`${hex2(value)}\``);
      assert.equal(rows.length, 1, `kind ${name} (${hex2(value)}) has one row in the kinds table`);
      assert.ok(rows[0]!.includes(`\`${name}\``), `the row of kind ${hex2(value)} names \`${name}\``);
    }
  });

  it('every live message type (WireType): its byte and name in §6.6', () => {
    const live = section(6);
    for (const [name, value] of Object.entries(WireType))
      assert.ok(live.includes(`\`${hex2(value)}\` ${name}`), `WireType ${name} (${hex2(value)}) in §6.6`);
  });

  it('every error code: a row of the §1.11 table, and its explanation', () => {
    for (const code of Object.values(errors.ErrorCode)) {
      const row = rowsStartingWith(section(1), `\`${code}\``);
      assert.equal(row.length, 1, `error code ${code} has one row in the error table`);
      assert.ok(errors.explain(code).length > 0);
    }
  });

  it('every vector file in protocol/test-vectors is named in §15', () => {
    const vectors = section(15);
    const files = readdirSync(vectorsDirectory).filter((name) => name.endsWith('.json'));
    assert.ok(files.length >= 12, 'the vector files are found');
    for (const file of files) assert.ok(vectors.includes(`\`${file}\``), `${file} is not referenced in §15`);
  });
});
