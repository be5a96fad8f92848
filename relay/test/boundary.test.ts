import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const relayRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function files(directory: string, suffix: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return files(path, suffix);
    return path.endsWith(suffix) ? [path] : [];
  });
}

describe('invariant 1 (relay): relay/ cannot import anything that opens sealed content', () => {
  it('relay sources import the protocol only through @sealcam/protocol/relay-safe', () => {
    const sources = files(join(relayRoot, 'src'), '.ts');
    assert.ok(sources.length > 10);
    for (const source of sources) {
      const text = readFileSync(source, 'utf8');
      for (const match of text.matchAll(/from '(@sealcam\/[^']+)'/g)) {
        assert.equal(match[1], '@sealcam/protocol/relay-safe', `${source} imports ${match[1]}`);
      }
      assert.doesNotMatch(text, /libsodium|protocol\/(src|dist)/, source);
    }
  });

  it('the compiled relay has no path to an opening function', () => {
    for (const compiled of files(join(relayRoot, 'dist', 'src'), '.js')) {
      const text = readFileSync(compiled, 'utf8');
      assert.doesNotMatch(
        text,
        /\b(openManifest|openEvent|openThumbnail|openClip|FrameOpener|unwrapContentKey|openPairRequest)\b/,
        compiled,
      );
    }
  });

  it('is compiled with the sealcam-relay condition and started with it', () => {
    const config = JSON.parse(readFileSync(join(relayRoot, 'tsconfig.json'), 'utf8'));
    assert.deepEqual(config.compilerOptions.customConditions, ['sealcam-relay']);
    const pkg = JSON.parse(readFileSync(join(relayRoot, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.start, /--conditions=sealcam-relay/);
    // The whole relay module graph loads under the condition (an opening import would throw).
    const loaded = spawnSync(
      process.execPath,
      [
        '--conditions=sealcam-relay',
        '--input-type=module',
        '-e',
        "await import('./dist/src/server.js'); console.log('ok')",
      ],
      { cwd: relayRoot, encoding: 'utf8' },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim(), 'ok');
  });
});
