/**
 * A signed web-app release (release.json next to index.html): the list of the app's files with the
 * SHA-256 of each, and a version, signed with the project's Ed25519 release key. The installed app
 * (its service worker and its page) holds the release public key and takes only what this verifies.
 * Runs in a page and in a service worker: WebCrypto only. Signed by client/src/node/web-release.ts.
 */

/** Signed bytes: this label, a zero byte, then the release JSON bytes. */
export const RELEASE_SIGNATURE_LABEL = 'sealcam/v1/web-release';
export const RELEASE_FILE = '/release.json';
const MAX_FILES = 256;

export interface WebRelease {
  readonly version: number;
  /** Path (from the site root, e.g. "/assets/index-x.js") → SHA-256, lowercase hex. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Why an offered app is not taken: release.json missing or malformed; its signature not by the
 * release key; a version not newer than the running one; or a file that differs from the list.
 */
export type ReleaseRefusal = 'unreadable' | 'unsigned' | 'older' | 'mismatch';

export class ReleaseError extends Error {
  constructor(
    readonly reason: ReleaseRefusal,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'ReleaseError';
  }
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new ReleaseError('unreadable', 'not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function parseRelease(json: string): WebRelease {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ReleaseError('unreadable', 'the signed release is not JSON');
  }
  const { v, version, files } = (value ?? {}) as { v?: unknown; version?: unknown; files?: unknown };
  if (v !== 1 || !Number.isSafeInteger(version) || (version as number) <= 0)
    throw new ReleaseError('unreadable', 'unknown release format or version');
  if (typeof files !== 'object' || files === null) throw new ReleaseError('unreadable', 'no file list');
  const entries = Object.entries(files);
  if (entries.length === 0 || entries.length > MAX_FILES) throw new ReleaseError('unreadable', 'file count');
  for (const [path, hash] of entries)
    if (!path.startsWith('/') || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash))
      throw new ReleaseError('unreadable', 'a file entry is malformed');
  return { version: version as number, files: files as Record<string, string> };
}

/** Verifies release.json's text against the release public key (raw Ed25519, base64url). */
export async function verifyRelease(text: string, publicKey: string): Promise<WebRelease> {
  let outer: { release?: unknown; signature?: unknown };
  try {
    outer = JSON.parse(text) as typeof outer;
  } catch {
    throw new ReleaseError('unreadable', 'release.json is not JSON');
  }
  if (typeof outer?.release !== 'string' || typeof outer.signature !== 'string')
    throw new ReleaseError('unreadable', 'release.json lacks a release or a signature');
  const release = fromBase64Url(outer.release);
  const label = new TextEncoder().encode(RELEASE_SIGNATURE_LABEL);
  const signed = new Uint8Array(label.length + 1 + release.length);
  signed.set(label);
  signed.set(release, label.length + 1);
  let valid = false;
  try {
    const key = await crypto.subtle.importKey('raw', fromBase64Url(publicKey), { name: 'Ed25519' }, false, [
      'verify',
    ]);
    valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, fromBase64Url(outer.signature), signed);
  } catch {
    valid = false;
  }
  if (!valid) throw new ReleaseError('unsigned', 'the release is not signed by the release key');
  return parseRelease(new TextDecoder().decode(release));
}

/** Fetches and verifies the release the site offers now, bypassing every cache; returns it and its text. */
export async function fetchRelease(publicKey: string): Promise<{ release: WebRelease; text: string }> {
  const response = await fetch(RELEASE_FILE, { cache: 'no-store', redirect: 'error' });
  if (response.status !== 200) throw new ReleaseError('unreadable', `release.json: HTTP ${response.status}`);
  const text = await response.text();
  return { release: await verifyRelease(text, publicKey), text };
}

/** The type a file of the app is served with, by its extension (never the site's say). */
export function contentTypeOf(path: string): string {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const types: Record<string, string> = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    json: 'application/json',
    webmanifest: 'application/manifest+json',
    png: 'image/png',
    svg: 'image/svg+xml',
    wasm: 'application/wasm',
  };
  return types[extension] ?? 'application/octet-stream';
}

/**
 * The file's bytes, fetched past every cache and checked against the release's list. Not an answer
 * (a redirect, an error status: a host mid-deploy) is `unreadable`; other bytes are `mismatch`.
 */
export async function fetchListed(
  release: WebRelease,
  path: string,
): Promise<{ bytes: ArrayBuffer; headers: Headers }> {
  const expected = release.files[path];
  if (!expected) throw new ReleaseError('mismatch', `${path} is not in the release`);
  const response = await fetch(path, { cache: 'no-store', redirect: 'error' });
  if (response.status !== 200 || response.type !== 'basic')
    throw new ReleaseError('unreadable', `${path}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  if ((await sha256Hex(bytes)) !== expected)
    throw new ReleaseError('mismatch', `${path} differs from the signed release`);
  return { bytes, headers: response.headers };
}
