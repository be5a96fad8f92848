import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchRelay } from '../src/launcher.js';
import { missingNodeFlags, RELAY_NODE_FLAGS } from '../src/node-flags.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const main = join(root, 'dist', 'src', 'main.js');
const WARNING = /warning: started without/;

/** Runs dist/src/main.js with `flags` until it listens; returns what it wrote on stderr. */
async function startupOutput(flags: string[]): Promise<string> {
  const child = spawn(process.execPath, [...flags, main], {
    env: { ...process.env, SEALCAM_PORT: '0', SEALCAM_ADMIN_PORT: '0', SEALCAM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (data) => {
        output += String(data);
        if (/listening on/.test(output)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${output}`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
  return output;
}

describe('relay node flags', () => {
  it('npm start, the bin and the test launcher pass the same flags', () => {
    const start = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start as string;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const bin = join(root, pkg.bin['sealcam-relay']);
    for (const file of [main, bin]) {
      const shebang = readFileSync(file, 'utf8').split('\n')[0]!;
      assert.match(shebang, /^#!\/usr\/bin\/env -S node /);
      for (const flag of [...RELAY_NODE_FLAGS, '--conditions=sealcam-relay']) {
        assert.ok(shebang.split(' ').includes(flag), `${file}'s shebang lacks ${flag}`);
      }
    }
    for (const flag of [...RELAY_NODE_FLAGS, '--conditions=sealcam-relay']) {
      assert.ok(start.split(' ').includes(flag), `npm start lacks ${flag}`);
    }
  });

  it('names the flags that are missing, whatever their value or spelling', () => {
    assert.deepEqual(missingNodeFlags(RELAY_NODE_FLAGS), []);
    assert.deepEqual(missingNodeFlags(['--max_semi_space_size=32', '--initial-old-space-size=512']), []);
    assert.deepEqual(missingNodeFlags(['--max-semi-space-size=64']), ['--initial-old-space-size=256']);
    assert.deepEqual(missingNodeFlags([]), [...RELAY_NODE_FLAGS]);
  });

  it('a relay started without them warns; the launcher starts it with them', async () => {
    assert.match(await startupOutput(['--conditions=sealcam-relay']), WARNING);
    const relay = await launchRelay();
    try {
      assert.doesNotMatch(relay.output.join(''), WARNING);
    } finally {
      await relay.stop();
    }
  });
});
