import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileVersion, writePrivateFile } from '../src/state/secret-file.js';

test('fileVersion: undefined for a missing file; a version written just now is racy; an older one is not, and a rewrite changes the stamp', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-file-version-'));
  try {
    const path = join(dir, 'viewers.json');
    assert.equal(await fileVersion(path), undefined);
    await writePrivateFile(path, 'version 1');
    const fresh = await fileVersion(path);
    assert.equal(fresh?.racy, true, 'changed within the last 2 s: its stamp cannot be trusted yet');
    const past = new Date(Date.now() - 10_000);
    utimesSync(path, past, past);
    const settled = await fileVersion(path);
    assert.equal(settled?.racy, false);
    // Same length, written again (possibly on a reused inode): a different stamp.
    await writePrivateFile(path, 'version 2');
    const next = await fileVersion(path);
    assert.notEqual(next?.stamp, settled?.stamp);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
