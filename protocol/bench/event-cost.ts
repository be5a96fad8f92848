/**
 * Cost of sealing (EventSealer.finish) and opening (openEvent) one event envelope, next to the raw
 * libsodium calls such an envelope cannot avoid, measured interleaved in the same run: an Ed25519
 * signature (sealing) or verification (opening) of a body of the envelope's size, and an
 * XChaCha20-Poly1305 encryption or decryption of the sealed record's size. The event carries a
 * thumbnail, a clip of 8 chunks, 4 labels and 2 recipients; its record dominates what differs
 * between record encodings.
 */
import { Codec, createIdentity, EventSealer, openEvent, parseEventEnvelope, Role } from '../src/index.js';
import { sodium } from '../src/sodium.js';

const NOW = 1_767_225_600_000;
const CHUNKS = 8;
const SEALERS_PER_ROUND = 300;

export interface EventCost {
  /** Microseconds per call, medians over the rounds. */
  readonly sealMicros: number;
  readonly openMicros: number;
  readonly baselineSealMicros: number;
  readonly baselineOpenMicros: number;
  readonly sealRatio: number;
  readonly openRatio: number;
  readonly envelopeBytes: number;
  readonly sealedRecordBytes: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Microseconds per call of fn, over about roundMs and at most maxCount calls. */
function micros(roundMs: number, fn: () => void, maxCount = 100_000): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < roundMs && count < maxCount) {
    fn();
    count++;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / count;
}

export function measureEventCost(rounds: number, roundMs: number): EventCost {
  const device = createIdentity(Role.Device);
  const owner = createIdentity(Role.Viewer);
  const friend = createIdentity(Role.Viewer);
  const recipients = [owner.card, friend.card];
  const summary = {
    kind: 'motion',
    start: NOW,
    end: NOW + 12_000,
    score: 0.4375,
    labels: ['person', 'car', 'zone-1', 'night'],
    clip: { codec: Codec.Jpeg, type: 'application/x-sealcam-mjpeg', frames: 96 },
  };
  const image = sodium.randombytes_buf(64);
  /** A sealer with its items sealed, ready for finish (item sealing is not what is measured). */
  const prepared = (): EventSealer => {
    const sealer = new EventSealer({ device, streamId: 'cam-1' });
    sealer.sealThumbnail(image);
    for (let i = 0; i < CHUNKS; i++) sealer.sealClipChunk(image, i === CHUNKS - 1);
    return sealer;
  };
  const envelope = prepared().finish(summary, recipients);
  const parsed = parseEventEnvelope(envelope);
  const expect = { viewer: owner, device: device.card };
  const key = sodium.randombytes_buf(32);
  const nonce = new Uint8Array(24);
  const aad = new Uint8Array(34);
  const recordPlain = new Uint8Array(parsed.sealedRecord.length - 16);
  const recordSealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(recordPlain, aad, null, nonce, key);
  const body = parsed.signedPart;
  const signature = sodium.crypto_sign_detached(body, device.signSecretKey);

  const seal: number[] = [];
  const open: number[] = [];
  const rawSeal: number[] = [];
  const rawOpen: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // finish() runs once per sealer, so each round prepares as many sealers as it may call.
    const sealers = Array.from({ length: SEALERS_PER_ROUND }, prepared);
    let next = 0;
    seal.push(micros(roundMs, () => sealers[next++]!.finish(summary, recipients), sealers.length));
    rawSeal.push(
      micros(roundMs, () => {
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(recordPlain, aad, null, nonce, key);
        sodium.crypto_sign_detached(body, device.signSecretKey);
      }),
    );
    open.push(micros(roundMs, () => openEvent(envelope, expect)));
    rawOpen.push(
      micros(roundMs, () => {
        sodium.crypto_sign_verify_detached(signature, body, device.card.signPublicKey);
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, recordSealed, aad, nonce, key);
      }),
    );
  }
  const result = {
    sealMicros: median(seal),
    openMicros: median(open),
    baselineSealMicros: median(rawSeal),
    baselineOpenMicros: median(rawOpen),
  };
  return {
    ...result,
    sealRatio: result.sealMicros / result.baselineSealMicros,
    openRatio: result.openMicros / result.baselineOpenMicros,
    envelopeBytes: envelope.length,
    sealedRecordBytes: parsed.sealedRecord.length,
  };
}
