#!/usr/bin/env node
// `npm run build`: compiles every package (tsc -b, incremental) and bundles the web viewer with Vite,
// skipping the bundle when nothing that went into it changed (client/web/build-inputs.ts records its
// inputs). Says what it is doing on stderr, so a command's stdout (e.g. --json) stays clean.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const webapp = join(root, 'client', 'dist', 'webapp');
const log = (line) => process.stderr.write(`build: ${line}\n`);

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run build -- [--app] [--force]\n\nBuilds the sealcam packages: TypeScript (tsc -b, incremental) and the web viewer (Vite;\n' +
      'skipped when its inputs are unchanged). --app: only what `npm start` runs (no tests, benchmarks or\n' +
      'drill). --force: rebuild the web viewer regardless.\n',
  );
  process.exit(0);
}

function run(what, command, args) {
  const started = performance.now();
  const result = spawnSync(join(root, 'node_modules', '.bin', command), args, {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 2, 2],
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    log(`${what} failed (exit ${result.status ?? result.signal}) after ${seconds} s`);
    process.exit(1);
  }
  return seconds;
}

/** True when the bundle exists and every input recorded at its last build still has the same hash. */
function webUpToDate() {
  const recorded = join(webapp, '.build-inputs.json');
  if (!existsSync(join(webapp, 'index.html')) || !existsSync(recorded)) return false;
  const inputs = JSON.parse(readFileSync(recorded, 'utf8'));
  return Object.entries(inputs).every(([file, hash]) => {
    const path = join(root, file);
    return existsSync(path) && createHash('sha256').update(readFileSync(path)).digest('hex') === hash;
  });
}

// --app: the projects `npm start` runs; the root tsconfig adds tests, benchmarks and the drill.
const projects = process.argv.includes('--app')
  ? ['protocol', 'relay-client', 'relay', 'device-agent', 'client']
  : [];
const firstBuild = !existsSync(join(root, 'protocol', 'dist'));
const what = projects.length > 0 ? 'the programs' : 'everything';
log(`compiling TypeScript, ${what} (tsc -b)${firstBuild ? '; the first build takes a while' : ''}…`);
log(`TypeScript done in ${run('TypeScript', 'tsc', ['-b', ...projects])} s`);

// The web app is a signed release: built with the release public key inside, then release.json (its
// files' hashes) signed with the release key. A local key is made on first build (a distribution signs
// with the project's own key: SEALCAM_RELEASE_KEY names its file).
const { loadReleaseKey, precompress, readSignedRelease, signRelease } = await import('@sealcam/client/node');
const keyPath = process.env.SEALCAM_RELEASE_KEY || join(root, '.release-key.pem');
const releaseKey = loadReleaseKey(keyPath, { create: !process.env.SEALCAM_RELEASE_KEY });
if (!process.argv.includes('--force') && webUpToDate() && readSignedRelease(webapp, releaseKey.publicKey)) {
  log('web viewer up to date (its sources did not change)');
} else {
  log('bundling the web viewer (Vite)…');
  const version = Date.now();
  process.env.SEALCAM_RELEASE_PUBLIC_KEY = releaseKey.publicKey;
  process.env.SEALCAM_RELEASE_VERSION = String(version);
  const vite = (config) => ['build', '--logLevel', 'warn', '--config', config];
  const app = run('web viewer', 'vite', vite('client/web/vite.config.ts'));
  const worker = run('service worker', 'vite', vite('client/web/vite.sw.config.ts'));
  const release = signRelease(webapp, releaseKey, version);
  const sizes = precompress(webapp);
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  log(
    `web viewer done in ${app} s (+${worker} s service worker); release ${version}, ${Object.keys(release.files).length} files signed`,
  );
  log(
    `web viewer text: ${kib(sizes.raw)}, gzip ${kib(sizes.gzip)}, brotli ${kib(sizes.brotli)} (served precompressed)`,
  );
  // Installed apps report any change of the worker's bytes as a swap: a release must keep them.
  log(`service worker sha256 ${release.files['/sw.js']} (must stay the same across releases)`);
}
