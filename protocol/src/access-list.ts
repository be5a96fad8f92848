import { equalBytes, Reader, toHex, Writer } from './bytes.js';
import { Access, ID_BYTES, KEY_BYTES, Kind, LIMITS, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { readSealedProfile, type SealedProfile, writeSealedProfile } from './device-profile.js';
import { fail } from './errors.js';
import { readHeader } from './header.js';
import type { Identity, IdentityCard } from './identity.js';
import { signBody, verifyBody } from './signature.js';
import { STANZA_BYTES } from './wrap.js';

/**
 * Device-signed list of viewer ids the relay may serve this device's objects to. This is the
 * relay's second line of defence only: content safety never depends on it.
 */
export interface AccessList {
  readonly deviceId: Uint8Array;
  /** Monotonic; the relay keeps the highest version it has seen. */
  readonly version: number;
  readonly issuedAt: number;
  readonly entries: readonly { readonly viewerId: Uint8Array; readonly access: Access }[];
  /** The device's names, sealed for the listed viewers (§9.3); null in a list without one. */
  readonly profile: SealedProfile | null;
  readonly bytes: Uint8Array;
}

export function createAccessList(input: {
  device: Identity;
  version: number;
  issuedAt: number;
  entries: readonly { viewerId: Uint8Array; access: Access }[];
  /** Sealed with sealProfile for the same device and version (device-profile.ts). */
  profile?: SealedProfile;
}): Uint8Array {
  if (input.entries.length > LIMITS.accessListEntries) fail('MALFORMED', 'too many access entries');
  const seen = new Set<string>();
  for (const entry of input.entries) {
    if (entry.access !== Access.Owner && entry.access !== Access.Viewer) fail('MALFORMED', 'access value');
    if (entry.viewerId.length !== ID_BYTES || seen.has(toHex(entry.viewerId))) fail('MALFORMED', 'viewer id');
    seen.add(toHex(entry.viewerId));
  }
  const writer = new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.AccessList)
    .bytes(input.device.card.id)
    .u64(input.version)
    .u64(input.issuedAt)
    .u16(input.entries.length);
  for (const entry of input.entries) writer.bytes(entry.viewerId).u8(entry.access);
  if (input.profile) writeSealedProfile(writer, input.profile);
  const body = writer.finish();
  return new Writer().bytes(body).bytes(signBody(input.device.signSecretKey, body)).finish();
}

export function verifyAccessList(bytes: Uint8Array, device: IdentityCard): AccessList {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.AccessList);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const version = reader.u64('version');
  const issuedAt = reader.u64('issued-at');
  const count = reader.u16('entry count');
  if (count > LIMITS.accessListEntries) fail('MALFORMED', 'too many access entries');
  const entries: { viewerId: Uint8Array; access: Access }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const viewerId = reader.bytes(ID_BYTES, 'viewer id').slice();
    const access = reader.u8('access');
    if (access !== Access.Owner && access !== Access.Viewer) fail('MALFORMED', 'access value');
    if (seen.has(toHex(viewerId))) fail('MALFORMED', 'duplicate viewer');
    seen.add(toHex(viewerId));
    entries.push({ viewerId, access });
  }
  const profile = reader.remaining > SIG_BYTES ? readSealedProfile(reader) : null;
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('access list');
  if (!equalBytes(deviceId, device.id)) fail('WRONG_DEVICE', 'access list');
  if (!verifyBody(device.signPublicKey, bytes.subarray(0, signedLength), signature))
    fail('BAD_SIGNATURE', 'access list');
  return { deviceId, version, issuedAt, entries, profile, bytes: bytes.slice() };
}

/**
 * The length of the sealed profile between the entries and the signature, from its layout alone
 * (§9.3): 0 when the list ends after its entries.
 */
function profileLength(bytes: Uint8Array, count: number): number {
  const start = LIST_HEAD_BYTES + count * ENTRY_BYTES;
  if (bytes.length <= start + SIG_BYTES) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < start + KEY_BYTES + 2) fail('TRUNCATED', 'access list profile');
  const stanzas = view.getUint16(start + KEY_BYTES);
  const lengthAt = start + KEY_BYTES + 2 + stanzas * STANZA_BYTES;
  if (bytes.length < lengthAt + 4) fail('TRUNCATED', 'access list profile');
  return KEY_BYTES + 2 + stanzas * STANZA_BYTES + 4 + view.getUint32(lengthAt);
}

/** version, kind, device id, version (u64), issued-at (u64), entry count (u16). */
const LIST_HEAD_BYTES = 2 + ID_BYTES + 8 + 8 + 2;
const ENTRY_BYTES = ID_BYTES + 1;

/**
 * The access a list names `viewerId` with, read from the list's layout WITHOUT checking its
 * signature; null when the viewer is not on it. No allocation, no crypto: a relay answers an
 * unlisted viewer with this alone and verifies (verifyAccessList) only when the viewer is listed.
 * Throws MALFORMED / WRONG_KIND / UNSUPPORTED_VERSION / TRUNCATED when the layout is wrong.
 */
export function accessEntryOf(bytes: Uint8Array, viewerId: Uint8Array): Access | null {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.AccessList);
  if (viewerId.length !== ID_BYTES) fail('MALFORMED', 'viewer id');
  if (bytes.length < LIST_HEAD_BYTES) fail('TRUNCATED', 'missing access list head');
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(LIST_HEAD_BYTES - 2);
  if (count > LIMITS.accessListEntries) fail('MALFORMED', 'too many access entries');
  if (bytes.length !== LIST_HEAD_BYTES + count * ENTRY_BYTES + SIG_BYTES + profileLength(bytes, count))
    fail('MALFORMED', 'access list length');
  for (let offset = LIST_HEAD_BYTES; offset < LIST_HEAD_BYTES + count * ENTRY_BYTES; offset += ENTRY_BYTES) {
    let same = true;
    for (let i = 0; i < ID_BYTES && same; i++) same = bytes[offset + i] === viewerId[i];
    if (!same) continue;
    const access = bytes[offset + ID_BYTES];
    return access === Access.Owner || access === Access.Viewer ? access : fail('MALFORMED', 'access value');
  }
  return null;
}
