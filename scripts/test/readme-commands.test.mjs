// Every command line a README shows works on a fresh clone exactly as written, offline after `npm ci`:
// the repository's files are copied to a new folder (as a clone would have them), `npm ci` runs
// there with npm_config_offline=true and must print no warning, the project's commands must resolve
// to the project's own bins before the first build (never to a public package), and then each
// command shown, run with `--help` from that clone, must answer with its own usage and exit 0.
// The clone's build is the working tree's (dist/ copied with its timestamps): building from
// scratch is what `npm start` on a fresh clone measures, not this test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXTERNAL, helpArgv, isNpmScript, readmeCommands } from './readme-commands.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const PACKAGES = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
const BINS = ['sealcam-agent', 'sealcam-viewer', 'sealcam-relay', 'sealcam-drill'];
const offline = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };

function git(args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.split('\0').filter(Boolean);
}

function run(argv, cwd, timeoutSeconds = 300) {
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd,
    env: offline,
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, error: result.error };
}

/** The working tree's files as a clone would have them: tracked and new, not ignored, not deleted. */
function freshClone() {
  const clone = mkdtempSync(join(tmpdir(), 'sealcam-clone-'));
  for (const file of git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'])) {
    if (existsSync(join(root, file)) && statSync(join(root, file)).isFile()) {
      cpSync(join(root, file), join(clone, file), { preserveTimestamps: true });
    }
  }
  assert.equal(run(['git', 'init', '-q'], clone).status, 0);
  return clone;
}

test('every command line in every README works on a fresh clone, offline, as written (--help)', async (t) => {
  const readmes = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '*README.md']);
  const commands = readmeCommands(root, readmes);
  const shown = new Set(commands.map((command) => command.argv.join(' ')));
  for (const expected of ['npm ci', 'npm start', 'npm test', 'npm run drill', 'npx sealcam-agent init']) {
    assert.ok(shown.has(expected), `the README parser did not find "${expected}"`);
  }
  const unknown = commands.filter(
    ({ argv }) => !['npm', 'npx', 'node'].includes(argv[0]) && !EXTERNAL.has(argv[0]),
  );
  assert.deepEqual(unknown, [], 'a README shows a program this test does not know how to check');

  const clone = freshClone();
  t.after(() => rmSync(clone, { recursive: true, force: true }));

  const install = run(['npm', 'ci', '--no-audit', '--no-fund'], clone);
  assert.equal(install.status, 0, `npm ci failed offline:\n${install.output}`);
  assert.doesNotMatch(install.output, /npm warn/i, 'npm ci printed a warning');

  // Before the first build, each bin is already the project's own (it says how to build), not a
  // public package that npx would otherwise fetch (npm_config_offline turns a fetch into an error).
  for (const bin of BINS) {
    const before = run(['npx', bin, '--help'], clone, 120);
    assert.equal(before.status, 2, `npx ${bin} before the build:\n${before.output}`);
    assert.match(before.output, new RegExp(`^${bin}: not built yet; run "npm run build"`, 'm'));
  }

  // What `npm start` leaves behind (its ignored state folder) must not fail `npm test`'s lint.
  mkdirSync(join(clone, '.sealcam-demo'));
  writeFileSync(join(clone, '.sealcam-demo', 'config.json'), '{"relayUrl":  "unformatted",}');

  for (const pkg of PACKAGES) {
    cpSync(join(root, pkg, 'dist'), join(clone, pkg, 'dist'), { recursive: true, preserveTimestamps: true });
  }
  // The key the copied web app was signed with (made by the first build, gitignored), or it is rebuilt.
  const releaseKey = process.env.SEALCAM_RELEASE_KEY || join(root, '.release-key.pem');
  cpSync(releaseKey, join(clone, '.release-key.pem'));

  const seen = new Set();
  for (const { readme, line, cwd, argv } of commands) {
    if (EXTERNAL.has(argv[0])) continue;
    const help = helpArgv(argv);
    const key = `${cwd}\0${help.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const result = run(help, join(clone, cwd));
    const where = `${readme}: "${line}" ran as "${help.join(' ')}" in ${cwd}`;
    assert.equal(result.status, 0, `${where}: exit ${result.status} ${result.error ?? ''}\n${result.output}`);
    assert.match(result.output, /usage/i, `${where}: printed no usage\n${result.output}`);
    if (isNpmScript(argv)) {
      // The clone's dist is the working tree's: each script that builds first finds the bundle up to date.
      const scripts = JSON.parse(readFileSync(join(clone, cwd, 'package.json'), 'utf8')).scripts;
      if (
        /^(npm run build|node scripts\/build\.mjs)\b[^&]*&&/.test(
          scripts[argv[1] === 'run' ? argv[2] : argv[1]] ?? '',
        )
      ) {
        assert.match(result.output, /web viewer up to date/, `${where}: rebuilt what was up to date`);
      }
      assert.doesNotMatch(
        result.output,
        /Run "npm help/,
        `${where}: npm answered, not the script\n${result.output}`,
      );
    }
    if (argv[0] === 'npx' && argv[1].startsWith('sealcam-')) {
      assert.match(result.output, new RegExp(`Usage: ${argv[1]}\\b`), `${where}\n${result.output}`);
    }
  }
  assert.ok(seen.size >= 20, `only ${seen.size} distinct commands checked`);
});
