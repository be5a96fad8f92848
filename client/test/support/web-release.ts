import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { precompress } from '../../src/node/precompressed.js';
import {
  type ReleaseKey,
  readSignedRelease,
  signRelease,
  type WebRelease,
} from '../../src/node/web-release.js';

// Compiled to client/dist/test/support/.
const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');

/** The key `npm run build` signed the built app with (scripts/build.mjs). */
export function buildReleaseKeyPath(): string {
  return process.env.SEALCAM_RELEASE_KEY || join(repoRoot, '.release-key.pem');
}

/** Another Ed25519 key: what an attacker signs its own "release" with. */
export function strangerReleaseKey(): ReleaseKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const x = privateKey.export({ format: 'jwk' }).x!;
  return { privateKey, publicKey: x };
}

/** A copy of the built app in a new directory, with its verified release. */
export function copyApp(from: string, publicKey: string): { dir: string; release: WebRelease } {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-app-'));
  cpSync(from, dir, { recursive: true });
  const release = readSignedRelease(dir, publicKey);
  if (!release) throw new Error(`the app in ${from} is not a release signed by ${publicKey}`);
  return { dir, release };
}

/**
 * The next release of the app in `dir`, made in place: every built-in mention of the version (app and
 * service worker) becomes `version`, `edit` may change files, release.json is signed with `key`, and
 * the precompressed copies are made again.
 */
export function nextRelease(
  dir: string,
  from: WebRelease,
  version: number,
  key: ReleaseKey,
  edit: (dir: string) => void = () => undefined,
): WebRelease {
  for (const path of Object.keys(from.files).filter((file) => file.endsWith('.js'))) {
    const file = join(dir, path);
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(String(from.version), String(version)));
  }
  edit(dir);
  const release = signRelease(dir, key, version);
  // As the build does: the brotli and gzip copies made from these files (else the old ones would be
  // served in their place).
  precompress(dir);
  return release;
}

/** Replaces the content of `target` by that of `source`: a site's operator swapping the app it serves. */
export function serveApp(target: string, source: string): void {
  for (const entry of readdirSync(target)) rmSync(join(target, entry), { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
}
