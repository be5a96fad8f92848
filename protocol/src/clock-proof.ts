import { equalBytes, Reader, Writer } from './bytes.js';
import { ID_BYTES, Kind, LIMITS, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { readHeader } from './header.js';
import type { Identity, IdentityCard } from './identity.js';
import { signBody, verifyBody } from './signature.js';

/** A viewer's clock question: 16 random bytes, sent as 32 lowercase hex characters. */
export const CLOCK_NONCE_BYTES = 16;

/**
 * A device's signed answer to viewers' clock questions (PROTOCOL.md §6.8): "my clock read `time`
 * after I saw these nonces". A viewer that sent one of the nonces at t0 and got the proof at t1 (its
 * own monotonic clock) knows the device's clock at any of its own instants m to within t1 − t0:
 * between time + (m − t1) and time + (m − t0). A relay can delay the answer, which only widens
 * that interval, and cannot answer a fresh nonce without the device.
 *
 *   0x01 ‖ 0x07 ‖ deviceId[16] ‖ time u64 (Unix ms) ‖ u8 N (1…32) ‖ N × nonce[16] ‖ signature[64]
 */
export interface ClockProof {
  readonly deviceId: Uint8Array;
  /** The device's clock when it signed, Unix milliseconds. */
  readonly time: number;
  readonly nonces: readonly Uint8Array[];
}

const HEAD_BYTES = 2 + ID_BYTES + 8 + 1;

export const clockProofBytes = (nonces: number) => HEAD_BYTES + nonces * CLOCK_NONCE_BYTES + SIG_BYTES;

/** The largest proof (LIMITS.clockNonces nonces). */
export const CLOCK_PROOF_MAX_BYTES = clockProofBytes(LIMITS.clockNonces);

export function createClockProof(input: {
  device: Identity;
  time: number;
  nonces: readonly Uint8Array[];
}): Uint8Array {
  const { nonces } = input;
  if (nonces.length < 1 || nonces.length > LIMITS.clockNonces) fail('MALFORMED', 'clock nonce count');
  if (nonces.some((nonce) => nonce.length !== CLOCK_NONCE_BYTES)) fail('MALFORMED', 'clock nonce length');
  const writer = new Writer(clockProofBytes(nonces.length))
    .u8(PROTOCOL_VERSION)
    .u8(Kind.ClockProof)
    .bytes(input.device.card.id)
    .u64(input.time)
    .u8(nonces.length);
  for (const nonce of nonces) writer.bytes(nonce);
  const body = writer.finish();
  return new Writer().bytes(body).bytes(signBody(input.device.signSecretKey, body)).finish();
}

/** Layout only, no signature check (relay-safe): what a relay checks before forwarding a proof. */
export function parseClockProof(bytes: Uint8Array): ClockProof & { readonly signedLength: number } {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.ClockProof);
  const deviceId = reader.bytes(ID_BYTES, 'device id');
  const time = reader.u64('time');
  const count = reader.u8('nonce count');
  if (count < 1 || count > LIMITS.clockNonces) fail('MALFORMED', 'clock nonce count');
  const nonces: Uint8Array[] = [];
  for (let i = 0; i < count; i++) nonces.push(reader.bytes(CLOCK_NONCE_BYTES, 'clock nonce'));
  const signedLength = reader.position;
  reader.bytes(SIG_BYTES, 'signature');
  reader.end('clock proof');
  return { deviceId, time, nonces, signedLength };
}

/**
 * The device time a proof states, if it answers `nonce` and is signed by `device`. In order: layout
 * (parseClockProof's codes); `nonce` not among its nonces → REPLAYED (an answer to another question:
 * another viewer's, or an old one; checked before the signature, so others' answers cost nothing);
 * device id → WRONG_DEVICE; signature → BAD_SIGNATURE.
 */
export function openClockProof(
  bytes: Uint8Array,
  input: { device: IdentityCard; nonce: Uint8Array },
): number {
  const proof = parseClockProof(bytes);
  if (!proof.nonces.some((nonce) => equalBytes(nonce, input.nonce)))
    fail('REPLAYED', 'the clock proof does not answer this question');
  if (!equalBytes(proof.deviceId, input.device.id)) fail('WRONG_DEVICE', 'clock proof');
  const signature = bytes.subarray(proof.signedLength);
  if (!verifyBody(input.device.signPublicKey, bytes.subarray(0, proof.signedLength), signature))
    fail('BAD_SIGNATURE', 'clock proof');
  return proof.time;
}
