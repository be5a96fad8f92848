import { aeadOpen } from './aead.js';
import { concat, equalBytes, Reader, Writer } from './bytes.js';
import { CLOCK_SKEW_MS } from './clock.js';
import { ID_BYTES, KEY_BYTES, Kind, Label, NONCE_BYTES, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { checkName, readName, writeName } from './device-profile.js';
import { fail } from './errors.js';
import { derive } from './hash.js';
import { readHeader } from './header.js';
import type { Identity, IdentityCard } from './identity.js';
import type { StreamId } from './ids.js';
import { pad, unpad } from './padding.js';
import type { Rng } from './random.js';
import { signBody, verifyBody } from './signature.js';
import { sodium } from './sodium.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';
import { agreeWith } from './wrap.js';

/**
 * Owner-signed: "call camera <stream> (or the gateway) <name>", sealed to the device's X25519 key so
 * that the relay carrying it through the device's inbox never reads the name (PROTOCOL.md §8.5).
 */
export interface CameraNameChange {
  readonly deviceId: Uint8Array;
  readonly ownerId: Uint8Array;
  readonly issuedAt: number;
  /** null: the gateway's own name. */
  readonly streamId: StreamId | null;
  readonly name: string;
}

export interface CameraNameInput {
  /** The device's card, from the owner's own store (its box key seals the name). */
  readonly device: IdentityCard;
  readonly streamId: StreamId | null;
  readonly name: string;
  readonly issuedAt: number;
}

const ZERO_NONCE = new Uint8Array(NONCE_BYTES);
/**
 * Every name change is padded to this many bytes (target u8 + 64, name u8 + 64, the 0x80 marker, to a
 * multiple of 64): its length does not tell a camera's rename from the gateway's, nor a name's length.
 */
export const CAMERA_NAME_PADDED_BYTES = 192;
/**
 * A device refuses a name change issued longer ago than this (STALE): a relay that kept an old one
 * cannot replay it after the device lost its record of later ones (a restored state directory).
 */
export const CAMERA_NAME_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** version, kind, device id, owner id, issued-at, ephemeral key, u16 ciphertext length: the AEAD's associated data. */
const HEAD_BYTES = 2 + ID_BYTES + ID_BYTES + 8 + KEY_BYTES + 2;

function nameKey(shared: Uint8Array, ephemeralPublicKey: Uint8Array, device: IdentityCard): Uint8Array {
  return derive(shared, KEY_BYTES, Label.cameraName, ephemeralPublicKey, device.boxPublicKey, device.id);
}

/** The signed part of a name change, for an owner that holds its key elsewhere (signedWith). */
export function cameraNameBody(owner: IdentityCard, input: CameraNameInput, rng: Rng): Uint8Array {
  const target = input.streamId === null ? new Uint8Array(0) : encodeStreamId(input.streamId);
  const writer = new Writer().u8(target.length).bytes(target);
  writeName(writer, checkName(input.name, 'name'));
  const plaintext = new Uint8Array(CAMERA_NAME_PADDED_BYTES);
  plaintext.set(pad(writer.finish(), 'none'));
  const ephemeralSecretKey = rng(KEY_BYTES);
  const ephemeralPublicKey = sodium.crypto_scalarmult_base(ephemeralSecretKey);
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(ephemeralSecretKey, input.device.boxPublicKey);
  } catch {
    return fail('MALFORMED', 'device key is a low-order point');
  } finally {
    sodium.memzero(ephemeralSecretKey);
  }
  const key = nameKey(shared, ephemeralPublicKey, input.device);
  sodium.memzero(shared);
  const head = new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.CameraName)
    .bytes(input.device.id)
    .bytes(owner.id)
    .u64(input.issuedAt)
    .bytes(ephemeralPublicKey)
    .u16(plaintext.length + 16)
    .finish();
  // A fresh ephemeral key per change makes the key unique, so the all-zero nonce is used once.
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    head,
    null,
    ZERO_NONCE,
    key,
  );
  sodium.memzero(key);
  return concat(head, ciphertext);
}

export function createCameraName(input: CameraNameInput & { owner: Identity; rng: Rng }): Uint8Array {
  const body = cameraNameBody(input.owner.card, input, input.rng);
  return concat(body, signBody(input.owner.signSecretKey, body));
}

/**
 * The device checks the owner's signature (the owner card from its own store), then opens the name
 * with its X25519 key. WRONG_DEVICE, NOT_AUTHORIZED, BAD_SIGNATURE, STALE (from the future),
 * DECRYPT_FAILED or MALFORMED otherwise. Replays are the device's to refuse (issuedAt per target).
 */
export function openCameraName(
  bytes: Uint8Array,
  check: { device: Identity; owner: IdentityCard; now: number },
): CameraNameChange {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.CameraName);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const ownerId = reader.bytes(ID_BYTES, 'owner id').slice();
  const issuedAt = reader.u64('issued-at');
  const ephemeralPublicKey = reader.bytes(KEY_BYTES, 'ephemeral key').slice();
  const length = reader.u16('ciphertext length');
  const ciphertext = reader.bytes(length, 'ciphertext');
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('camera name');
  if (!equalBytes(deviceId, check.device.card.id)) fail('WRONG_DEVICE', 'name change is for another device');
  if (!equalBytes(ownerId, check.owner.id))
    fail('NOT_AUTHORIZED', 'name change not issued by this device owner');
  if (!verifyBody(check.owner.signPublicKey, bytes.subarray(0, signedLength), signature))
    fail('BAD_SIGNATURE', 'name change');
  if (issuedAt > check.now + CLOCK_SKEW_MS) fail('STALE', 'name change issued in the future');
  if (issuedAt < check.now - CAMERA_NAME_MAX_AGE_MS) fail('STALE', 'name change older than 7 days');
  const shared = agreeWith(check.device.boxSecretKey, ephemeralPublicKey);
  const key = nameKey(shared, ephemeralPublicKey, check.device.card);
  sodium.memzero(shared);
  let padded: Uint8Array;
  try {
    padded = aeadOpen(ciphertext, bytes.subarray(0, HEAD_BYTES), ZERO_NONCE, key, 'name change');
  } finally {
    sodium.memzero(key);
  }
  if (padded.length !== CAMERA_NAME_PADDED_BYTES) fail('MALFORMED', 'name change padding');
  const plain = new Reader(unpad(padded));
  const targetLength = plain.u8('stream id length');
  const streamId = targetLength === 0 ? null : decodeStreamId(plain.bytes(targetLength, 'stream id'));
  const name = readName(plain, 'name');
  plain.end('camera name');
  return { deviceId, ownerId, issuedAt, streamId, name };
}
