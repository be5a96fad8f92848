import { equalBytes, Writer } from './bytes.js';
import { CLOCK_SKEW_MS, withinWindow } from './clock.js';
import { HASH_BYTES, KEY_BYTES } from './constants.js';
import { fail } from './errors.js';
import type { Identity, IdentityCard } from './identity.js';
import type { AgreedKey } from './key-holder.js';
import {
  encodeManifestBody,
  manifestHash,
  manifestWrapContext,
  type ParsedManifest,
  parseManifest,
  verifyManifest,
} from './manifest-format.js';
import { type Rng, systemRng } from './random.js';
import { signBody } from './signature.js';
import { unwrapContentKey, type WrapRecipient, wrapContentKey } from './wrap.js';

export interface SealManifestInput {
  readonly device: Identity;
  readonly streamId: string;
  readonly epoch: number;
  readonly notBefore: number;
  readonly notAfter: number;
  /** The previous manifest of this stream, or null for the first epoch. */
  readonly previous: Uint8Array | null;
  /** The device's own, owner-authorised viewer list. Never taken from the relay. */
  readonly recipients: readonly WrapRecipient[];
  /** A fresh 32-byte epoch key; drawn from rng when absent. */
  readonly epochKey?: Uint8Array;
}

export interface SealedManifest {
  readonly bytes: Uint8Array;
  readonly epochKey: Uint8Array;
  readonly hash: Uint8Array;
}

export function sealManifest(input: SealManifestInput, rng: Rng = systemRng): SealedManifest {
  const epochKey = input.epochKey ?? rng(KEY_BYTES);
  if (epochKey.length !== KEY_BYTES) fail('MALFORMED', 'epoch key length');
  const deviceId = input.device.card.id;
  let previousHash: Uint8Array = new Uint8Array(HASH_BYTES);
  if (input.previous) {
    const previous = parseManifest(input.previous);
    if (!equalBytes(previous.deviceId, deviceId) || previous.streamId !== input.streamId) {
      fail('MALFORMED', 'previous manifest is of another stream');
    }
    if (input.epoch !== previous.epoch + 1) fail('MALFORMED', 'the next manifest must have the next epoch');
    previousHash = manifestHash(input.previous);
  }
  const context = manifestWrapContext(deviceId, input.streamId, input.epoch);
  const { ephemeralPublicKey, stanzas } = wrapContentKey(epochKey, input.recipients, context, rng);
  const body = encodeManifestBody({
    deviceId,
    streamId: input.streamId,
    epoch: input.epoch,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    previousHash,
    ephemeralPublicKey,
    stanzas,
  });
  const bytes = new Writer().bytes(body).bytes(signBody(input.device.signSecretKey, body)).finish();
  return { bytes, epochKey, hash: manifestHash(bytes) };
}

/** What the viewer last accepted for this stream, for rollback and chain checks. */
export interface ManifestPrevious {
  readonly epoch: number;
  readonly hash: Uint8Array;
}

export interface ManifestExpectation {
  /** The viewer's identity, or its key agreed ahead with this structure's ephemeral key (agreeAhead). */
  readonly viewer: Identity | AgreedKey;
  /** The card of the device this viewer paired with. */
  readonly device: IdentityCard;
  readonly streamId: string;
  readonly now: number;
  readonly previous?: ManifestPrevious | undefined;
  readonly clockSkewMs?: number;
}

export interface OpenedManifest {
  readonly manifest: ParsedManifest;
  readonly epochKey: Uint8Array;
  readonly hash: Uint8Array;
}

/**
 * Viewer side: checks device, signature, stream, validity window, rollback and chain, then unwraps
 * this viewer's epoch key. Each failure is a typed SealError.
 */
export function openManifest(bytes: Uint8Array, expect: ManifestExpectation): OpenedManifest {
  const manifest = verifyManifest(bytes, expect.device);
  if (manifest.streamId !== expect.streamId)
    fail('WRONG_STREAM', `manifest is for stream "${manifest.streamId}"`);
  const skew = expect.clockSkewMs ?? CLOCK_SKEW_MS;
  if (!withinWindow(expect.now, manifest.notBefore, manifest.notAfter, skew)) {
    fail('STALE', 'key manifest outside its validity window');
  }
  const hash = manifestHash(bytes);
  const previous = expect.previous;
  if (previous) {
    if (manifest.epoch < previous.epoch) fail('STALE', 'key manifest rolls back to an older epoch');
    if (manifest.epoch === previous.epoch && !equalBytes(hash, previous.hash)) {
      fail('REPLAYED', 'a different manifest for an epoch already accepted');
    }
    if (manifest.epoch === previous.epoch + 1 && !equalBytes(manifest.previousHash, previous.hash)) {
      fail('MALFORMED', 'key manifest does not chain to the previous one');
    }
  }
  const context = manifestWrapContext(manifest.deviceId, manifest.streamId, manifest.epoch);
  const epochKey = unwrapContentKey(expect.viewer, manifest.ephemeralPublicKey, manifest.stanzas, context);
  return { manifest, epochKey, hash };
}
