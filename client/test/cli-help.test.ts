import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ID_CHARACTER_CLASS, ID_TEXT_SOURCE } from '@sealcam/protocol';
import { assertNoPrivateKey } from './support/private-key.js';
import { VIEWER_CLI as CLI } from './support/viewer-cli.js';

/** The viewer CLI without any relay: help, local commands, input errors (one line, right exit code). */
const COMMANDS = [
  'pair',
  'cameras',
  'events',
  'get',
  'live',
  'share-code',
  'share',
  'accept',
  'revoke',
  'viewers',
  'verify',
];
const NOBODY = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';

function cli(args: string[], env: Record<string, string> = {}) {
  const { SEALCAM_VIEWER_STATE: _ignored, ...base } = process.env;
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...base, ...env },
  });
}

const stateFile = () => join(mkdtempSync(join(tmpdir(), 'sealcam-cli-help-')), 'viewer.json');

function assertOneLine(stderr: string) {
  assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('--help on the program and on every command', () => {
  const top = cli(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /Usage: sealcam-viewer/);
  assert.match(top.stdout, /--state <file>/);
  assert.match(top.stdout, /SEALCAM_VIEWER_STATE/);
  assert.match(top.stdout, /Exit codes:/);
  for (const command of COMMANDS) {
    assert.match(top.stdout, new RegExp(`\\n  ${command}\\b`), `${command} is listed`);
    const help = cli([command, '--help']);
    assert.equal(help.status, 0, `${command} --help`);
    assert.match(help.stdout, new RegExp(`Usage: sealcam-viewer ${command}\\b`));
  }
  const options: Record<string, RegExp[]> = {
    pair: [/--name <viewer name>/, /--camera-name <name>/],
    cameras: [/--json/],
    events: [/--from/, /--to/, /--limit/, /--after/, /--all/, /--open/, /--json/],
    get: [/--thumbnail <file>/, /--clip <file\.mp4\|dir>/, /ending in \.mp4/, /--record/],
    live: [/--out <dir\|file\.mp4>/, /--stdout/, /\| ffplay -/, /--seconds/, /--frames/],
    share: [/--expires/],
    accept: [/--camera-name/],
  };
  for (const [command, patterns] of Object.entries(options)) {
    const help = cli([command, '--help']).stdout;
    for (const pattern of patterns) assert.match(help, pattern, `${command} --help mentions ${pattern}`);
  }
});

test('a new viewer: state file 0600 (from --state or SEALCAM_VIEWER_STATE), no camera, no key printed', async () => {
  const path = stateFile();
  const cameras = cli(['--state', path, 'cameras']);
  assert.equal(cameras.status, 0, cameras.stderr);
  assert.match(cameras.stdout, /no cameras yet/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(cli(['--state', path, 'cameras', '--json']).stdout.trim(), '[]');

  const verify = cli(['--state', path, 'verify']);
  assert.equal(verify.status, 0, verify.stderr);
  const id = new RegExp(`id: +(${ID_TEXT_SOURCE})`).exec(verify.stdout)?.[1];
  assert.ok(id, verify.stdout);
  assert.match(
    verify.stdout,
    new RegExp(`fingerprint: +(${ID_CHARACTER_CLASS}{4} ){6}${ID_CHARACTER_CLASS}{2}`),
  );

  const share = cli(['--state', path, 'share-code']);
  assert.equal(share.status, 0, share.stderr);
  assert.match(share.stdout.trim(), /^SCV1-[A-Z2-7]+$/);
  assert.match(share.stderr, new RegExp(`viewer id: ${id}`));

  // The same identity through the environment variable; another file there gets another identity.
  const viaEnv = cli(['verify'], { SEALCAM_VIEWER_STATE: path });
  assert.match(viaEnv.stdout, new RegExp(`id: +${id}`));
  const other = stateFile();
  assert.doesNotMatch(cli(['verify'], { SEALCAM_VIEWER_STATE: other }).stdout, new RegExp(id));
  assert.ok(existsSync(other));

  await assertNoPrivateKey(
    path,
    [cameras, verify, share, viaEnv].map((output) => `${output.stdout}${output.stderr}`),
  );
});

test('input errors: one line, exit 2 (or 1 for usage), no stack trace, nothing created', () => {
  const path = stateFile();
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-out-'));

  const unpaired = cli(['--state', path, 'events', NOBODY]);
  assert.equal(unpaired.status, 2);
  assert.equal(unpaired.stderr.trim(), 'viewer: This camera is not paired with this viewer.');
  const verbose = cli(['--state', path, '--verbose', 'viewers', NOBODY]);
  assert.equal(verbose.status, 2);
  assert.match(verbose.stderr, new RegExp(`not paired .*NOT_PAIRED.*${NOBODY}`));
  assertOneLine(verbose.stderr);

  const badEvent = cli(['--state', path, 'get', NOBODY, 'nope', '--thumbnail', join(dir, 't.jpg')]);
  assert.equal(badEvent.status, 2);
  assert.match(badEvent.stderr, /"nope" is not an event id/);
  assertOneLine(badEvent.stderr);
  assert.ok(!existsSync(join(dir, 't.jpg')));

  const badCode = cli(['--state', path, 'pair', 'SCP1-NOTACODE']);
  assert.equal(badCode.status, 2, 'a mistyped code is bad input, not tampering');
  assert.equal(badCode.stderr.trim(), 'viewer: That code is not valid: check it was copied completely.');
  assertOneLine(badCode.stderr);

  const badInvite = cli(['--state', path, 'accept', 'SCI1-AAAA']);
  assert.equal(badInvite.status, 2);
  assert.match(badInvite.stderr, /^viewer: That code is not valid/);
  assertOneLine(badInvite.stderr);

  const badViewer = cli(['--state', path, 'revoke', NOBODY, 'xyz']);
  assert.equal(badViewer.status, 2);
  assert.match(badViewer.stderr, /"xyz" is not a viewer id/);

  const bothOutputs = cli(['--state', path, 'live', NOBODY, 'cam-1', '--out', 'x.mp4', '--stdout']);
  assert.equal(bothOutputs.status, 2);
  assert.equal(bothOutputs.stderr.trim(), 'viewer: give --out or --stdout, not both');
  assert.equal(bothOutputs.stdout, '', 'nothing on stdout');

  for (const args of [
    ['events', NOBODY, '--limit', '0'],
    ['events', NOBODY, '--from', 'yesterday'],
    ['events', NOBODY, '--after', 'not-a-cursor'],
    ['live', NOBODY, 'cam-1', '--seconds', '100000'],
    ['live', NOBODY, 'cam-1', '--frames', '-1'],
    ['get', NOBODY],
    ['share', NOBODY, 'SCV1-X', '--expires', 'soon'],
  ]) {
    const usage = cli(['--state', path, ...args]);
    assert.equal(usage.status, 1, `${args.join(' ')}: ${usage.stderr}`);
    assert.match(usage.stderr, /error:/);
    assert.doesNotMatch(usage.stderr, /\n\s+at /);
  }

  writeFileSync(path, '{ not json');
  const broken = cli(['--state', path, 'cameras']);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /viewer state .* is unreadable/);
  assertOneLine(broken.stderr);
});
