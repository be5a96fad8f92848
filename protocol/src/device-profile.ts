import { aeadOpen } from './aead.js';
import { Reader, utf8, Writer } from './bytes.js';
import { ID_BYTES, KEY_BYTES, Kind, LIMITS, NONCE_BYTES, TAG_BYTES } from './constants.js';
import { fail, SealError } from './errors.js';
import type { Identity } from './identity.js';
import type { StreamId } from './ids.js';
import type { AgreedKey } from './key-holder.js';
import { pad, paddedLength, unpad } from './padding.js';
import type { Rng } from './random.js';
import { readRecipients, writeRecipients } from './recipients-format.js';
import { sodium } from './sodium.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';
import { type Stanza, unwrapContentKey, type WrapRecipient, wrapContentKey } from './wrap.js';

/**
 * What a device says about itself to its viewers only: the gateway's name and each camera's name by
 * its (opaque) stream id. Names are content (invariant 13): the profile travels sealed inside the
 * device-signed access list (PROTOCOL.md §9.3), so it is signed, versioned and rolled back exactly
 * as the list is, and sealed for exactly the viewers the list names.
 */
export interface DeviceProfile {
  /** The gateway's name; empty when the device has none (viewers keep their own label). */
  readonly gatewayName: string;
  readonly cameras: readonly { readonly streamId: StreamId; readonly name: string }[];
}

/** The sealed form inside an access list: the profile's key wrapped per viewer, then the ciphertext. */
export interface SealedProfile {
  readonly ephemeralPublicKey: Uint8Array;
  readonly stanzas: readonly Stanza[];
  readonly ciphertext: Uint8Array;
}

const FORMAT = 1;
const ZERO_NONCE = new Uint8Array(NONCE_BYTES);
/**
 * Characters a name may not hold: C0 and C1 controls, line and paragraph separators, bidirectional
 * controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and invisible format characters
 * that would let two names look alike (soft hyphen, U+180E, U+200B, U+2060–U+2064, U+FEFF, tags).
 * U+200C and U+200D stay allowed: scripts and emoji sequences need them.
 */
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/u;
/** Strict UTF-8 that keeps a leading U+FEFF (so the name rule sees it), unlike fromUtf8. */
const NAME_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function nameText(bytes: Uint8Array): string {
  try {
    return NAME_DECODER.decode(bytes);
  } catch {
    return fail('MALFORMED', 'invalid UTF-8');
  }
}

/**
 * A name as a device, owner or viewer may give it: 1..64 bytes of UTF-8 (LIMITS.nameBytes), no control
 * or bidirectional-override characters (a name is shown in terminals and pages), no leading or
 * trailing space. MALFORMED otherwise.
 */
export function checkName(name: string, what: string): string {
  const bytes = utf8(name).length;
  if (bytes === 0 || bytes > LIMITS.nameBytes)
    fail('MALFORMED', `${what} must be 1..${LIMITS.nameBytes} bytes`);
  if (FORBIDDEN.test(name)) fail('MALFORMED', `${what} has a control or invisible character`);
  if (name.trim() !== name) fail('MALFORMED', `${what} starts or ends with a space`);
  return name;
}

export function writeName(writer: Writer, name: string): void {
  const bytes = utf8(name);
  writer.u8(bytes.length).bytes(bytes);
}

/** Reads a u8-length-prefixed name and applies the name rule. */
export function readName(reader: Reader, what: string): string {
  return checkName(nameText(reader.bytes(reader.u8(`${what} length`), what)), what);
}

export function encodeProfile(profile: DeviceProfile): Uint8Array {
  if (profile.cameras.length > LIMITS.profileCameras) fail('MALFORMED', 'too many cameras');
  const writer = new Writer().u8(FORMAT);
  if (profile.gatewayName === '') writer.u8(0);
  else writeName(writer, checkName(profile.gatewayName, 'gateway name'));
  writer.u8(profile.cameras.length);
  const seen = new Set<string>();
  for (const camera of profile.cameras) {
    const id = encodeStreamId(camera.streamId);
    if (seen.has(camera.streamId)) fail('MALFORMED', 'a stream is named twice');
    seen.add(camera.streamId);
    writer.u8(id.length).bytes(id);
    writeName(writer, checkName(camera.name, 'camera name'));
  }
  return writer.finish();
}

export function decodeProfile(reader: Reader): DeviceProfile {
  if (reader.u8('profile format') !== FORMAT) fail('UNSUPPORTED_VERSION', 'profile format');
  const gatewayLength = reader.u8('gateway name length');
  const gatewayName =
    gatewayLength === 0
      ? ''
      : checkName(nameText(reader.bytes(gatewayLength, 'gateway name')), 'gateway name');
  const count = reader.u8('camera count');
  if (count > LIMITS.profileCameras) fail('MALFORMED', 'too many cameras');
  const cameras: { streamId: StreamId; name: string }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const streamId = decodeStreamId(reader.bytes(reader.u8('stream id length'), 'stream id'));
    if (seen.has(streamId)) fail('MALFORMED', 'a stream is named twice');
    seen.add(streamId);
    cameras.push({ streamId, name: readName(reader, 'camera name') });
  }
  reader.end('profile');
  return { gatewayName, cameras };
}

/**
 * The wrap context and associated data (§4.3): kind 0x13 ‖ device id ‖ list version, so a profile
 * moved to another device's list, or to another version of this one, does not open.
 */
function profileContext(deviceId: Uint8Array, version: number): Uint8Array {
  return new Writer().u8(Kind.AccessList).bytes(deviceId).u64(version).finish();
}

/** Most bytes one camera takes in a profile: stream id (u8 + 64), name (u8 + 64). */
const CAMERA_MAX_BYTES = 1 + LIMITS.streamIdBytes + 1 + LIMITS.nameBytes;
/** Format, gateway name (u8 + 64), camera count. */
const HEAD_MAX_BYTES = 1 + 1 + LIMITS.nameBytes + 1;

/**
 * A profile's padded length depends on its number of cameras only, never on its names: what a
 * rename changes is not visible in the list's size. Block64 of the longest profile of that many cameras.
 */
export function profilePaddedLength(cameras: number): number {
  return paddedLength(HEAD_MAX_BYTES + cameras * CAMERA_MAX_BYTES, 'block64');
}

export function sealProfile(
  profile: DeviceProfile,
  input: { deviceId: Uint8Array; version: number; recipients: readonly WrapRecipient[]; rng: Rng },
): SealedProfile {
  const encoded = encodeProfile(profile);
  const plaintext = new Uint8Array(profilePaddedLength(profile.cameras.length));
  plaintext.set(pad(encoded, 'none'));
  if (plaintext.length > LIMITS.profileBytes) fail('MALFORMED', 'profile too large');
  const context = profileContext(input.deviceId, input.version);
  const key = input.rng(KEY_BYTES);
  try {
    const { ephemeralPublicKey, stanzas } = wrapContentKey(key, input.recipients, context, input.rng);
    // The key is fresh for this one profile, so the all-zero nonce is used once.
    const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      plaintext,
      context,
      null,
      ZERO_NONCE,
      key,
    );
    return { ephemeralPublicKey, stanzas, ciphertext };
  } finally {
    sodium.memzero(key);
  }
}

/** ephemeral key (32) || u16 count || stanzas (64 each) || u32 ciphertext length || ciphertext */
export function writeSealedProfile(writer: Writer, sealed: SealedProfile): void {
  writeRecipients(writer, sealed.ephemeralPublicKey, sealed.stanzas);
  writer.u32(sealed.ciphertext.length).bytes(sealed.ciphertext);
}

export function readSealedProfile(reader: Reader): SealedProfile {
  const { ephemeralPublicKey, stanzas } = readRecipients(reader);
  const length = reader.u32('profile length');
  if (length > LIMITS.profileBytes + TAG_BYTES) fail('MALFORMED', 'profile too large');
  return { ephemeralPublicKey, stanzas, ciphertext: reader.bytes(length, 'profile').slice() };
}

/**
 * Opens a profile for `viewer`: NOT_RECIPIENT when the device did not seal it for this viewer,
 * DECRYPT_FAILED when it was altered or moved from another device or list version.
 */
export function openProfile(
  sealed: SealedProfile,
  viewer: Identity | AgreedKey,
  deviceId: Uint8Array,
  version: number,
): DeviceProfile {
  if (deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id');
  const context = profileContext(deviceId, version);
  const key = unwrapContentKey(viewer, sealed.ephemeralPublicKey, sealed.stanzas, context);
  let padded: Uint8Array;
  try {
    padded = aeadOpen(sealed.ciphertext, context, ZERO_NONCE, key, 'profile');
  } finally {
    sodium.memzero(key);
  }
  try {
    const profile = decodeProfile(new Reader(unpad(padded)));
    if (padded.length !== profilePaddedLength(profile.cameras.length))
      fail('MALFORMED', 'profile padding is not the length for its camera count');
    return profile;
  } catch (error) {
    if (error instanceof SealError) throw error;
    return fail('MALFORMED', 'profile');
  }
}
