import { aeadOpen } from './aead.js';
import { equalBytes, Writer } from './bytes.js';
import { CLOCK_SKEW_MS, withinWindow } from './clock.js';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAX_COUNTER,
  ID_BYTES,
  KEY_BYTES,
  Kind,
  Label,
  LIMITS,
  NONCE_BYTES,
} from './constants.js';
import { fail } from './errors.js';
import { type FrameHeader, parseFrameHeader, writeFrameHeader } from './frame-format.js';
import { derive, hash, u32be } from './hash.js';
import { sodium } from './sodium.js';
import { encodeStreamId } from './stream-id.js';

const NONCE_PREFIX_BYTES = NONCE_BYTES - 4;

/** Per-epoch frame keys: derived once per epoch so each frame costs one AEAD call and no randomness. */
interface EpochFrameKeys {
  readonly key: Uint8Array;
  /** nonce = prefix (20 bytes) || counter (u32be); the counter slot is rewritten per frame. */
  readonly nonce: Uint8Array;
  /** aad = kind || device id || u8 len || stream id || u32be epoch || 8-byte header; header slot rewritten per frame. */
  readonly aad: Uint8Array;
}

function deriveEpochFrameKeys(
  epochKey: Uint8Array,
  deviceId: Uint8Array,
  streamId: string,
  epoch: number,
): EpochFrameKeys {
  if (epochKey.length !== KEY_BYTES) fail('MALFORMED', 'epoch key length');
  const stream = encodeStreamId(streamId);
  const epochBytes = u32be(epoch);
  const key = derive(epochKey, KEY_BYTES, Label.frameKey, deviceId, stream, epochBytes);
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce.set(derive(epochKey, NONCE_PREFIX_BYTES, Label.frameNonce, deviceId, stream, epochBytes));
  const prefix = new Writer()
    .u8(Kind.LiveFrame)
    .bytes(deviceId)
    .shortBytes(stream)
    .bytes(epochBytes)
    .finish();
  const aad = new Uint8Array(prefix.length + FRAME_HEADER_BYTES);
  aad.set(prefix);
  return { key, nonce, aad };
}

/**
 * A frame's key id (§6.2): 16 bits of a public hash of (device, stream, epoch), so that a viewer can
 * tell a frame of its own stream's other epochs from a frame of another camera or stream.
 */
export function frameKeyId(deviceId: Uint8Array, streamId: string, epoch: number): number {
  const digest = hash(2, Label.keyId, deviceId, encodeStreamId(streamId), u32be(epoch));
  return (digest[0]! << 8) | digest[1]!;
}

/** Epochs around the newest held one whose key ids a viewer recognises (STALE behind, NOT_RECIPIENT ahead). */
const RECOGNISED_EPOCHS = 16;

function setCounter(nonce: Uint8Array, counter: number): void {
  nonce[20] = (counter >>> 24) & 0xff;
  nonce[21] = (counter >>> 16) & 0xff;
  nonce[22] = (counter >>> 8) & 0xff;
  nonce[23] = counter & 0xff;
}

export interface FrameSealerOptions {
  readonly deviceId: Uint8Array;
  readonly streamId: string;
  readonly epoch: number;
  readonly epochKey: Uint8Array;
}

/**
 * Seals the live frames of one (device, stream, epoch). Counters start at 0 and never repeat;
 * a sealer is never recreated for an epoch (a restarted agent starts a new epoch).
 */
export class FrameSealer {
  readonly epoch: number;
  private readonly keys: EpochFrameKeys;
  private readonly keyId: number;
  private next = 0;

  constructor(options: FrameSealerOptions) {
    if (options.deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id must be 16 bytes');
    if (!Number.isInteger(options.epoch) || options.epoch < 0 || options.epoch > 0xffffffff)
      fail('MALFORMED', 'epoch');
    this.epoch = options.epoch;
    this.keyId = frameKeyId(options.deviceId, options.streamId, options.epoch);
    this.keys = deriveEpochFrameKeys(options.epochKey, options.deviceId, options.streamId, options.epoch);
  }

  get counter(): number {
    return this.next;
  }

  seal(payload: Uint8Array, options: { keyframe: boolean; codec: number }): Uint8Array {
    if (this.next > FRAME_MAX_COUNTER) fail('EXHAUSTED', 'frame counter exhausted; start a new epoch');
    if (payload.length > LIMITS.framePayloadBytes) fail('MALFORMED', 'frame too large');
    if (!Number.isInteger(options.codec) || options.codec < 1 || options.codec > 15)
      fail('MALFORMED', 'codec must be 1..15');
    const counter = this.next++;
    const { key, nonce, aad } = this.keys;
    const header = aad.subarray(aad.length - FRAME_HEADER_BYTES);
    writeFrameHeader(header, options.keyframe, options.codec, this.keyId, counter);
    setCounter(nonce, counter);
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, aad, null, nonce, key);
    const out = new Uint8Array(FRAME_HEADER_BYTES + sealed.length);
    out.set(header);
    out.set(sealed, FRAME_HEADER_BYTES);
    return out;
  }

  /** Overwrites the derived key; the sealer is unusable afterwards. */
  destroy(): void {
    sodium.memzero(this.keys.key);
    this.next = FRAME_MAX_COUNTER + 1;
  }
}

export interface OpenedFrame {
  readonly payload: Uint8Array;
  readonly keyframe: boolean;
  readonly codec: number;
  readonly epoch: number;
  readonly counter: number;
}

interface EpochState {
  readonly epoch: number;
  readonly keyId: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly keys: EpochFrameKeys;
  lastCounter: number;
}

export interface FrameOpenerOptions {
  readonly deviceId: Uint8Array;
  readonly streamId: string;
  readonly clockSkewMs?: number;
  /** How many most recent epochs keep their keys (older ones are wiped). Default 2. */
  readonly retainEpochs?: number;
}

/**
 * Opens the live frames of one (device, stream) for one viewer. Epoch keys come only from
 * manifests the viewer opened. Frames must arrive with strictly increasing counters within an epoch,
 * and once a frame of a newer epoch opened, frames of older epochs are stale.
 */
export class FrameOpener {
  private readonly epochs = new Map<number, EpochState>();
  private newestOpenedEpoch = -1;
  /** Key ids of the epochs around the newest held one (computed once per newest epoch). */
  private recognised: { newest: number; ids: Map<number, 'STALE' | 'NOT_RECIPIENT'> } | null = null;

  constructor(private readonly options: FrameOpenerOptions) {
    if (options.deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id must be 16 bytes');
    encodeStreamId(options.streamId);
  }

  /**
   * `openedThrough`: when resuming an epoch a previous session already watched (§6.8), the highest
   * counter that session opened: frames up to it are refused as REPLAYED. Ignored for an epoch
   * already held.
   */
  addEpoch(input: {
    epoch: number;
    epochKey: Uint8Array;
    notBefore: number;
    notAfter: number;
    openedThrough?: number;
  }): void {
    const held = this.epochs.get(input.epoch);
    if (held) {
      const keys = deriveEpochFrameKeys(
        input.epochKey,
        this.options.deviceId,
        this.options.streamId,
        input.epoch,
      );
      if (!equalBytes(keys.key, held.keys.key))
        fail('MALFORMED', 'a different key for an epoch already held');
      return;
    }
    if (input.epoch < this.newestOpenedEpoch) fail('STALE', 'epoch older than frames already shown');
    const keys = deriveEpochFrameKeys(
      input.epochKey,
      this.options.deviceId,
      this.options.streamId,
      input.epoch,
    );
    this.epochs.set(input.epoch, {
      epoch: input.epoch,
      keyId: frameKeyId(this.options.deviceId, this.options.streamId, input.epoch),
      notBefore: input.notBefore,
      notAfter: input.notAfter,
      keys,
      lastCounter: Number.isSafeInteger(input.openedThrough) ? Math.max(-1, input.openedThrough!) : -1,
    });
    const retain = this.options.retainEpochs ?? 2;
    const ordered = [...this.epochs.keys()].sort((a, b) => b - a);
    for (const old of ordered.slice(retain)) {
      sodium.memzero(this.epochs.get(old)!.keys.key);
      this.epochs.delete(old);
    }
  }

  get epochsHeld(): number[] {
    return [...this.epochs.keys()].sort((a, b) => a - b);
  }

  open(frame: Uint8Array, now: number): OpenedFrame {
    const header = parseFrameHeader(frame);
    if (frame.length > LIMITS.framePayloadBytes + 64) fail('MALFORMED', 'frame too large');
    // The newest held epoch with this key id. Two held epochs share one once in 65 536 pairs: then
    // the other is tried too, and the newest one's refusal stands if both fail.
    let newest: EpochState | undefined;
    let other: EpochState | undefined;
    for (const state of this.epochs.values()) {
      if (state.keyId !== header.keyId) continue;
      if (!newest || state.epoch > newest.epoch) [newest, other] = [state, newest];
      else other = state;
    }
    if (!newest) return fail(this.unknownKeyId(header.keyId), "no held epoch has this frame's key id");
    if (!other) return this.openIn(newest, frame, header, now);
    try {
      return this.openIn(newest, frame, header, now);
    } catch (error) {
      try {
        return this.openIn(other, frame, header, now);
      } catch {
        throw error;
      }
    }
  }

  /**
   * Why no held epoch has this key id: an epoch of this stream behind the newest held one (STALE),
   * one ahead whose manifest this viewer did not open (NOT_RECIPIENT; also when none is held yet),
   * or none of this stream's recent epochs: a frame of another camera or stream (WRONG_STREAM).
   */
  private unknownKeyId(keyId: number): 'STALE' | 'NOT_RECIPIENT' | 'WRONG_STREAM' {
    if (this.epochs.size === 0) return 'NOT_RECIPIENT';
    const newest = Math.max(...this.epochs.keys());
    if (this.recognised?.newest !== newest) {
      const ids = new Map<number, 'STALE' | 'NOT_RECIPIENT'>();
      const { deviceId, streamId } = this.options;
      // Later epochs first, so that an id both behind and ahead counts as behind (STALE), as §6.5 orders.
      for (let epoch = newest + 1; epoch <= Math.min(0xffffffff, newest + RECOGNISED_EPOCHS); epoch++)
        ids.set(frameKeyId(deviceId, streamId, epoch), 'NOT_RECIPIENT');
      for (let epoch = Math.max(0, newest - RECOGNISED_EPOCHS); epoch < newest; epoch++)
        ids.set(frameKeyId(deviceId, streamId, epoch), 'STALE');
      this.recognised = { newest, ids };
    }
    return this.recognised.ids.get(keyId) ?? 'WRONG_STREAM';
  }

  private openIn(state: EpochState, frame: Uint8Array, header: FrameHeader, now: number): OpenedFrame {
    if (state.epoch < this.newestOpenedEpoch) fail('STALE', 'frame replayed from an older epoch');
    if (!withinWindow(now, state.notBefore, state.notAfter, this.options.clockSkewMs ?? CLOCK_SKEW_MS)) {
      fail('STALE', 'frame epoch outside its validity window');
    }
    if (header.counter <= state.lastCounter) fail('REPLAYED', `frame counter ${header.counter}`);
    const { key, nonce, aad } = state.keys;
    aad.set(frame.subarray(0, FRAME_HEADER_BYTES), aad.length - FRAME_HEADER_BYTES);
    setCounter(nonce, header.counter);
    const payload = aeadOpen(
      frame.subarray(FRAME_HEADER_BYTES),
      aad,
      nonce,
      key,
      'live frame (altered, or from another device, stream or epoch)',
    );
    state.lastCounter = header.counter;
    this.newestOpenedEpoch = Math.max(this.newestOpenedEpoch, state.epoch);
    return {
      payload,
      keyframe: header.keyframe,
      codec: header.codec,
      epoch: state.epoch,
      counter: header.counter,
    };
  }

  destroy(): void {
    for (const state of this.epochs.values()) sodium.memzero(state.keys.key);
    this.epochs.clear();
  }
}
