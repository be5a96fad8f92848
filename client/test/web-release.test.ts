import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { precompress } from '../src/node/precompressed.js';
import { loadReleaseKey, readSignedRelease, signRelease } from '../src/node/web-release.js';
import { ReleaseError, verifyRelease } from '../web/src/release-check.js';
import { strangerReleaseKey } from './support/web-release.js';

function builtApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-release-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'assets', 'index-1.js'), 'console.log(1)');
  writeFileSync(join(dir, 'sw.js'), '// worker');
  writeFileSync(join(dir, '.build-inputs.json'), '{}');
  return dir;
}

async function refusal(text: string, publicKey: string): Promise<string> {
  try {
    await verifyRelease(text, publicKey);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof ReleaseError, String(error));
    return error.reason;
  }
}

test('web release: signed in Node (build), verified by the app’s own check (WebCrypto); any other signer or change is refused', async () => {
  const dir = builtApp();
  const key = loadReleaseKey(join(dir, '..', `release-key-${process.pid}-${Date.now()}.pem`), {
    create: true,
  });
  const signed = signRelease(dir, key, 42);
  assert.deepEqual(
    Object.keys(signed.files),
    ['/assets/index-1.js', '/index.html', '/sw.js'],
    'dot-files are not app files',
  );
  const text = readFileSync(join(dir, 'release.json'), 'utf8');
  assert.deepEqual(await verifyRelease(text, key.publicKey), signed);
  assert.deepEqual(readSignedRelease(dir, key.publicKey), signed);

  assert.equal(await refusal(text, strangerReleaseKey().publicKey), 'unsigned', 'another key');
  const outer = JSON.parse(text) as { release: string; signature: string };
  const body = Buffer.from(outer.release, 'base64url').toString().replace('"version":42', '"version":43');
  assert.equal(
    await refusal(
      JSON.stringify({ ...outer, release: Buffer.from(body).toString('base64url') }),
      key.publicKey,
    ),
    'unsigned',
    'a version changed after signing',
  );
  assert.equal(await refusal('<html>', key.publicKey), 'unreadable');
  assert.equal(await refusal(JSON.stringify({ release: outer.release }), key.publicKey), 'unreadable');

  // A file changed after signing: the build signs again.
  writeFileSync(join(dir, 'sw.js'), '// another worker');
  assert.equal(readSignedRelease(dir, key.publicKey), null);
  writeFileSync(join(dir, 'sw.js'), '// worker');
  writeFileSync(join(dir, 'extra.js'), '');
  assert.equal(readSignedRelease(dir, key.publicKey), null, 'a file not in the list');
});

test('precompressed copies: brotli and gzip next to each text file of 1 KiB or more, not release files themselves; a stale copy makes the build sign again', () => {
  const dir = builtApp();
  writeFileSync(join(dir, '.build-inputs.json'), JSON.stringify({ inputs: 'x'.repeat(4096) }));
  const script = `export const words = ${JSON.stringify('sealed camera relay '.repeat(200))};\n`;
  writeFileSync(join(dir, 'assets', 'index-1.js'), script);
  const key = loadReleaseKey(join(dir, '..', `release-key-${process.pid}-${Date.now()}-2.pem`), {
    create: true,
  });
  const signed = signRelease(dir, key, 7);
  const sizes = precompress(dir);
  assert.ok(
    existsSync(join(dir, 'assets', 'index-1.js.br')) && existsSync(join(dir, 'assets', 'index-1.js.gz')),
  );
  assert.ok(!existsSync(join(dir, 'index.html.br')), 'a file under 1 KiB is sent as it is');
  assert.ok(!existsSync(join(dir, '.build-inputs.json.br')), 'dot-files are not served');
  assert.ok(sizes.brotli < sizes.raw / 4 && sizes.gzip < sizes.raw / 4, JSON.stringify(sizes));
  assert.deepEqual(readSignedRelease(dir, key.publicKey), signed, 'the copies are not files of the release');
  writeFileSync(join(dir, 'assets', 'index-1.js.gz'), gzipSync('console.log("another")'));
  assert.equal(readSignedRelease(dir, key.publicKey), null, 'a copy that is not its file');
  precompress(dir);
  assert.deepEqual(readSignedRelease(dir, key.publicKey), signed, 'made again from the files');
});
