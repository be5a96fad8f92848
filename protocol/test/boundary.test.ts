import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as full from '../src/index.js';
import * as relaySafe from '../src/relay-safe.js';

const packageRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const repoRoot = join(packageRoot, '..');

/** Every export that opens sealed content or handles private keys. */
const OPENING = [
  'openManifest',
  'openEvent',
  'openThumbnail',
  'openClip',
  'openClipChunk',
  'closeEvent',
  'FrameOpener',
  'openPairRequest',
  'openPairResponse',
  'importIdentity',
  'exportIdentity',
  'createIdentity',
  'sealManifest',
  'FrameSealer',
  'EventSealer',
];

describe('invariant 1: the relay cannot import anything that opens sealed content', () => {
  it('the relay-safe entry point exports no opening or key-handling function', () => {
    for (const name of OPENING) {
      assert.ok(name in full, `${name} exists in the full API`);
      assert.ok(!(name in relaySafe), `${name} must not be reachable from relay-safe`);
    }
    for (const name of Object.keys(relaySafe))
      assert.doesNotMatch(name, /^(open|unwrap|import|export)|Opener|Sealer/);
  });

  it('at run time, under the "sealcam-relay" condition, only relay-safe resolves', () => {
    const run = (specifier: string) =>
      spawnSync(
        process.execPath,
        [
          '--conditions=sealcam-relay',
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(specifier)})`,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      );
    const blocked = run('@sealcam/protocol');
    assert.notEqual(blocked.status, 0);
    assert.match(blocked.stderr, /relay must not import the opening API/);
    const allowed = run('@sealcam/protocol/relay-safe');
    assert.equal(allowed.status, 0, allowed.stderr);
    const deep = run('@sealcam/protocol/dist/src/event.js');
    assert.notEqual(deep.status, 0, 'deep imports are not exported either');
  });

  it('at compile time, with customConditions ["sealcam-relay"], importing the opening API fails', () => {
    const directory = join(packageRoot, 'dist', 'boundary-check');
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const compile = (source: string) => {
      const file = join(directory, 'probe.ts');
      writeFileSync(file, source);
      const program = ts.createProgram([file], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        customConditions: ['sealcam-relay'],
        noEmit: true,
        strict: true,
        skipLibCheck: true,
        types: [],
      });
      return ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    writeFileSync(join(directory, 'package.json'), '{"type":"module"}');
    const blocked = compile("import { openEvent } from '@sealcam/protocol';\nexport const f = openEvent;\n");
    assert.ok(
      blocked.some((message) => /has no exported member 'openEvent'/.test(message)),
      blocked.join('\n'),
    );
    const allowed = compile(
      "import { verifyManifest } from '@sealcam/protocol/relay-safe';\nexport const f = verifyManifest;\n",
    );
    assert.deepEqual(allowed, []);
    rmSync(directory, { recursive: true, force: true });
  });
});

describe('protocol/ is pure: no network, no disk, no clock or randomness it does not receive', () => {
  const sourceDirectory = join(packageRoot, 'src');
  const sources = readdirSync(sourceDirectory).filter((name) => name.endsWith('.ts'));

  it('imports only its own modules and libsodium-wrappers', () => {
    for (const name of sources) {
      const text = readFileSync(join(sourceDirectory, name), 'utf8');
      for (const match of text.matchAll(/from '([^']+)'/g)) {
        assert.ok(
          match[1]!.startsWith('./') || match[1] === 'libsodium-wrappers',
          `${name} imports ${match[1]}`,
        );
      }
      assert.doesNotMatch(text, /\brequire\(|import\(/, `${name} uses a dynamic import`);
    }
  });

  it('never reads the clock, Math.random, the environment, the network or the file system', () => {
    const forbidden =
      /Date\.now|new Date\(|performance\.|Math\.random|process\.|globalThis|fetch\(|XMLHttpRequest|WebSocket|localStorage|indexedDB/;
    for (const name of sources) {
      const code = readFileSync(join(sourceDirectory, name), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      assert.doesNotMatch(code, forbidden, name);
    }
    const randomness = sources.filter((name) =>
      /randombytes/.test(readFileSync(join(sourceDirectory, name), 'utf8')),
    );
    assert.deepEqual(randomness, ['random.ts'], 'only the injectable Rng touches libsodium randomness');
  });

  it('compiles without Node types (one code base for Node and the browser)', () => {
    const config = JSON.parse(readFileSync(join(packageRoot, 'tsconfig.json'), 'utf8'));
    assert.deepEqual(config.compilerOptions.types, []);
    assert.deepEqual(config.compilerOptions.lib, ['ES2022', 'DOM']);
  });
});
