import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { agentDir, CLI } from '@sealcam/testkit/agent';

const RELAY = 'http://127.0.0.1:9';

test('--help on the program and on every command', () => {
  for (const command of [[], ['init'], ['pair'], ['viewers'], ['viewers', 'revoke'], ['run'], ['status']]) {
    const result = spawnSync(process.execPath, [CLI, ...command, '--help'], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${command.join(' ')} --help`);
    assert.match(result.stdout, /Usage: sealcam-agent/);
  }
  const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
  for (const command of ['init', 'pair', 'viewers', 'run', 'status'])
    assert.match(top, new RegExp(`\\n  ${command}\\b`));
  assert.match(top, /SEALCAM_RELAY_URL/);
});

test('init creates an identity once and never prints a key; status and viewers work before any pairing', () => {
  const dir = agentDir(RELAY);
  const first = dir.cli(['init']);
  assert.equal(first.status, 0, first.stderr);
  const second = dir.cli(['init']);
  assert.equal(second.status, 2);
  assert.match(second.stderr, /already exists/);
  const status = dir.cli(['status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /agent: +not running/);
  assert.match(status.stdout, /viewers: +0/);
  assert.match(dir.cli(['viewers']).stdout, /no viewers yet/);
  const revoke = dir.cli(['viewers', 'revoke', 'aaaaaaaaaaaaaaaaaaaaaaaaaa']);
  assert.equal(revoke.status, 2);
  assert.match(revoke.stderr, /no authorised viewer/);
});

test('commands before init, and an invalid configuration, fail with one clear line', () => {
  const dir = agentDir(RELAY);
  const before = dir.cli(['status']);
  assert.equal(before.status, 2);
  assert.match(before.stderr, /run "sealcam-agent init"/);
  writeFileSync(dir.configPath, JSON.stringify({ relayUrl: RELAY, cameras: [{ id: 'x', source: 'rtsp' }] }));
  const bad = dir.cli(['init']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /configuration file .*config\.json/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  writeFileSync(
    dir.configPath,
    JSON.stringify({ relayUrl: RELAY, cameras: [{ id: 'x', source: 'synthetic', fsp: 3 }] }),
  );
  assert.match(dir.cli(['init']).stderr, /configuration file/);
  writeFileSync(dir.configPath, JSON.stringify({ relayUrl: 'ftp://x' }));
  assert.match(dir.cli(['init']).stderr, /relayUrl/);
});
