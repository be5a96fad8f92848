import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
