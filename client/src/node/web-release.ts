/**
 * Signs the web app's release (release.json next to index.html): every file of the built app with
 * its SHA-256, and a version, signed with the project's Ed25519 release key. The app and its service
 * worker carry the public key and verify with client/web/src/release-check.ts (same label, same format).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { copiesMatch, isEncodedCopy } from './precompressed.js';

export const RELEASE_SIGNATURE_LABEL = 'sealcam/v1/web-release';
export const RELEASE_FILE_NAME = 'release.json';

export interface ReleaseKey {
  readonly privateKey: KeyObject;
  /** The raw Ed25519 public key, base64url: what the app is built with. */
  readonly publicKey: string;
}

export interface WebRelease {
  readonly version: number;
  readonly files: Readonly<Record<string, string>>;
}

function rawPublicKey(privateKey: KeyObject): string {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new Error('the release key is not an Ed25519 key');
  return jwk.x;
}

/** The release key from a PKCS #8 PEM file; with `create`, a new one is made (mode 0600) if absent. */
export function loadReleaseKey(path: string, options: { create?: boolean } = {}): ReleaseKey {
  if (!existsSync(path)) {
    if (!options.create) throw new Error(`no release key at ${path}`);
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  const privateKey = createPrivateKey(readFileSync(path));
  return { privateKey, publicKey: rawPublicKey(privateKey) };
}

function signedBytes(release: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(RELEASE_SIGNATURE_LABEL), Buffer.of(0), release]);
}

/** Every file of the app (not release.json, dot-files or encoded copies), by its path from the site root. */
function appFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.') || entry.name === RELEASE_FILE_NAME) continue;
    // file.br and file.gz are encodings of file (precompressed.ts), which is what the release lists.
    if (isEncodedCopy(entry.name)) continue;
    found.push(`/${relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/')}`);
  }
  return found.sort();
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Lists and hashes the app in `dir`, signs the list, writes dir/release.json; returns the release. */
export function signRelease(dir: string, key: ReleaseKey, version: number): WebRelease {
  const files: Record<string, string> = {};
  for (const path of appFiles(dir)) files[path] = sha256Of(join(dir, path));
  const release = Buffer.from(JSON.stringify({ v: 1, version, files }));
  const signature = sign(null, signedBytes(release), key.privateKey);
  writeFileSync(
    join(dir, RELEASE_FILE_NAME),
    `${JSON.stringify({ release: release.toString('base64url'), signature: signature.toString('base64url') })}\n`,
  );
  return { version, files };
}

/**
 * The release signed in dir/release.json, if it verifies with `publicKey` and every file still has
 * its listed hash; else null (the app must be built and signed again).
 */
export function readSignedRelease(dir: string, publicKey: string): WebRelease | null {
  try {
    const outer = JSON.parse(readFileSync(join(dir, RELEASE_FILE_NAME), 'utf8')) as {
      release: string;
      signature: string;
    };
    const release = Buffer.from(outer.release, 'base64url');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    if (!verify(null, signedBytes(release), key, Buffer.from(outer.signature, 'base64url'))) return null;
    const parsed = JSON.parse(release.toString('utf8')) as WebRelease;
    const listed = Object.keys(parsed.files).sort();
    const present = appFiles(dir);
    if (listed.join('\n') !== present.join('\n')) return null;
    for (const path of listed) if (sha256Of(join(dir, path)) !== parsed.files[path]) return null;
    if (!copiesMatch(dir)) return null;
    return { version: parsed.version, files: parsed.files };
  } catch {
    return null;
  }
}
