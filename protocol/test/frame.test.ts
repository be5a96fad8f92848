import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Codec,
  FRAME_OVERHEAD_BYTES,
  FrameOpener,
  FrameSealer,
  frameKeyId,
  openManifest,
  parseFrameHeader,
  sealManifest,
} from '../src/index.js';
import { sodium } from '../src/sodium.js';
import { bytes, flip, NOW, rejects, TEN_MINUTES, throwsCode, world } from './fixtures.js';

function stream(label = 'frames', streamId = 'cam-1') {
  const w = world(label);
  const manifest = sealManifest(
    {
      device: w.device,
      streamId,
      epoch: 7,
      notBefore: NOW,
      notAfter: NOW + TEN_MINUTES,
      previous: null,
      recipients: [w.owner.card],
    },
    w.rng,
  );
  const opened = openManifest(manifest.bytes, { viewer: w.owner, device: w.device.card, streamId, now: NOW });
  const sealer = new FrameSealer({
    deviceId: w.device.card.id,
    streamId,
    epoch: 7,
    epochKey: manifest.epochKey,
  });
  const opener = new FrameOpener({ deviceId: w.device.card.id, streamId });
  opener.addEpoch({ epoch: 7, epochKey: opened.epochKey, notBefore: NOW, notAfter: NOW + TEN_MINUTES });
  return { ...w, manifest, sealer, opener };
}

/** The frame with its key id bytes (2…3) replaced, as a relay could. */
function withKeyId(frame: Uint8Array, keyId: number): Uint8Array {
  const copy = frame.slice();
  copy[2] = keyId >>> 8;
  copy[3] = keyId & 0xff;
  return copy;
}

describe('live frames', () => {
  it(`overhead is exactly ${FRAME_OVERHEAD_BYTES} bytes (8-byte header + 16-byte tag)`, () => {
    const { sealer } = stream();
    for (const size of [0, 1, 1000, 14_500, 145_000]) {
      assert.equal(sealer.seal(bytes(size), { keyframe: false, codec: Codec.Jpeg }).length, size + 24);
    }
    assert.equal(FRAME_OVERHEAD_BYTES, 24);
  });

  it('round-trips payload, keyframe flag, codec, epoch and counter', () => {
    const { sealer, opener, device } = stream();
    const KEY_DEVICE = device.card.id;
    for (let i = 0; i < 50; i++) {
      const payload = bytes(100 + i, i);
      const sealed = sealer.seal(payload, { keyframe: i % 10 === 0, codec: Codec.H264AnnexB });
      const header = parseFrameHeader(sealed);
      assert.equal(header.counter, i);
      assert.equal(header.keyId, frameKeyId(KEY_DEVICE, 'cam-1', 7));
      const frame = opener.open(sealed, NOW + i);
      assert.deepEqual(frame.payload, payload);
      assert.equal(frame.keyframe, i % 10 === 0);
      assert.equal(frame.codec, Codec.H264AnnexB);
      assert.equal(frame.epoch, 7);
    }
  });

  it('uses no randomness per frame (deterministic nonces from the counter)', () => {
    const { sealer, opener } = stream();
    const original = sodium.randombytes_buf;
    (sodium as { randombytes_buf: unknown }).randombytes_buf = () => {
      throw new Error('randombytes_buf called per frame');
    };
    try {
      for (let i = 0; i < 20; i++) opener.open(sealer.seal(bytes(64, i), { keyframe: false, codec: 1 }), NOW);
    } finally {
      (sodium as { randombytes_buf: unknown }).randombytes_buf = original;
    }
  });

  it('two frames with the same payload never share ciphertext (nonce unique per counter)', () => {
    const { sealer } = stream();
    const a = sealer.seal(bytes(64), { keyframe: false, codec: 1 });
    const b = sealer.seal(bytes(64), { keyframe: false, codec: 1 });
    assert.notDeepEqual(a.subarray(8), b.subarray(8));
  });

  it('invariant 4: a replayed or reordered frame is refused', () => {
    const { sealer, opener } = stream();
    const first = sealer.seal(bytes(10), { keyframe: true, codec: 1 });
    const second = sealer.seal(bytes(10), { keyframe: false, codec: 1 });
    opener.open(first, NOW);
    opener.open(second, NOW);
    throwsCode(() => opener.open(second, NOW), 'REPLAYED');
    throwsCode(() => opener.open(first, NOW), 'REPLAYED');
  });

  it('a forged frame does not advance the replay window', () => {
    const { sealer, opener } = stream();
    const genuine = sealer.seal(bytes(10), { keyframe: true, codec: 1 });
    const forged = genuine.slice();
    forged[7] = 0xff; // counter 255, not authentic
    throwsCode(() => opener.open(forged, NOW), 'DECRYPT_FAILED');
    assert.deepEqual(opener.open(genuine, NOW).payload, bytes(10));
  });

  it('invariant 4: a frame of device A presented as device B is refused', () => {
    const a = stream('device-a');
    const frame = a.sealer.seal(bytes(32, 1), { keyframe: true, codec: 1 });
    // The same viewer subscribed to device B (same stream id, same epoch number).
    const b = world('device-a');
    const bManifest = sealManifest(
      {
        device: b.otherDevice,
        streamId: 'cam-1',
        epoch: 7,
        notBefore: NOW,
        notAfter: NOW + TEN_MINUTES,
        previous: null,
        recipients: [b.owner.card],
      },
      b.rng,
    );
    const bOpener = new FrameOpener({ deviceId: b.otherDevice.card.id, streamId: 'cam-1' });
    bOpener.addEpoch({ epoch: 7, epochKey: bManifest.epochKey, notBefore: NOW, notAfter: NOW + TEN_MINUTES });
    // Its key id is of no epoch of B's stream: named as what it is.
    throwsCode(() => bOpener.open(frame, NOW), 'WRONG_STREAM');
    throwsCode(
      () => bOpener.open(withKeyId(frame, frameKeyId(b.otherDevice.card.id, 'cam-1', 7)), NOW),
      'DECRYPT_FAILED',
    );
    // Even an opener that knows A's epoch key but expects device B refuses it (AAD binds the device).
    const confused = new FrameOpener({ deviceId: b.otherDevice.card.id, streamId: 'cam-1' });
    confused.addEpoch({
      epoch: 7,
      epochKey: a.manifest.epochKey,
      notBefore: NOW,
      notAfter: NOW + TEN_MINUTES,
    });
    throwsCode(() => confused.open(frame, NOW), 'WRONG_STREAM');
    throwsCode(
      () => confused.open(withKeyId(frame, frameKeyId(b.otherDevice.card.id, 'cam-1', 7)), NOW),
      'DECRYPT_FAILED',
    );
  });

  it('invariant 4: a frame replayed into another stream of the same device is refused', () => {
    const { sealer, device, manifest } = stream();
    const frame = sealer.seal(bytes(32), { keyframe: true, codec: 1 });
    const other = new FrameOpener({ deviceId: device.card.id, streamId: 'cam-2' });
    other.addEpoch({ epoch: 7, epochKey: manifest.epochKey, notBefore: NOW, notAfter: NOW + TEN_MINUTES });
    throwsCode(() => other.open(frame, NOW), 'WRONG_STREAM');
    throwsCode(
      () => other.open(withKeyId(frame, frameKeyId(device.card.id, 'cam-2', 7)), NOW),
      'DECRYPT_FAILED',
    );
  });

  it('invariant 4: a frame replayed out of its epoch is refused', () => {
    const { sealer, opener, device, owner, manifest, rng } = stream();
    const old = sealer.seal(bytes(32), { keyframe: true, codec: 1 });
    const next = sealManifest(
      {
        device,
        streamId: 'cam-1',
        epoch: 8,
        notBefore: NOW,
        notAfter: NOW + TEN_MINUTES,
        previous: manifest.bytes,
        recipients: [owner.card],
      },
      rng,
    );
    opener.addEpoch({ epoch: 8, epochKey: next.epochKey, notBefore: NOW, notAfter: NOW + TEN_MINUTES });
    const nextSealer = new FrameSealer({
      deviceId: device.card.id,
      streamId: 'cam-1',
      epoch: 8,
      epochKey: next.epochKey,
    });
    // Relabelled as epoch 8: the key id no longer matches the AAD and key.
    const relabelled = withKeyId(old, frameKeyId(device.card.id, 'cam-1', 8));
    throwsCode(() => opener.open(relabelled, NOW), 'DECRYPT_FAILED');
    opener.open(nextSealer.seal(bytes(32), { keyframe: true, codec: 1 }), NOW);
    // The genuine epoch-7 frame after epoch 8 was shown.
    throwsCode(() => opener.open(old, NOW), 'STALE');
  });

  it('frames outside the epoch validity window are stale; a later epoch of the stream is NOT_RECIPIENT, an earlier one STALE, any other key id WRONG_STREAM', () => {
    const { sealer, opener, device } = stream();
    const frame = sealer.seal(bytes(8), { keyframe: true, codec: 1 });
    throwsCode(() => opener.open(frame, NOW + 2 * TEN_MINUTES), 'STALE');
    throwsCode(
      () => opener.open(withKeyId(frame, frameKeyId(device.card.id, 'cam-1', 9)), NOW),
      'NOT_RECIPIENT',
    );
    throwsCode(() => opener.open(withKeyId(frame, frameKeyId(device.card.id, 'cam-1', 3)), NOW), 'STALE');
    const strangers = [0, 1, 2, 3].map((epoch) => frameKeyId(device.card.id, 'cam-9', epoch));
    for (const keyId of strangers)
      throwsCode(() => opener.open(withKeyId(frame, keyId), NOW), 'WRONG_STREAM');
    // Before any manifest opened, nothing is known of the stream's key ids: not (yet) a recipient.
    const fresh = new FrameOpener({ deviceId: device.card.id, streamId: 'cam-1' });
    throwsCode(() => fresh.open(frame, NOW), 'NOT_RECIPIENT');
  });

  it('two held epochs that share a key id: each is tried, and each frame opens under its own', () => {
    const { device } = stream();
    // Two epochs of cam-1 with one key id: a birthday search over 16 bits takes a few hundred.
    const seen = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let epoch = 0; !pair && epoch < 100_000; epoch++) {
      const keyId = frameKeyId(device.card.id, 'cam-1', epoch);
      const earlier = seen.get(keyId);
      if (earlier !== undefined) pair = [earlier, epoch];
      seen.set(keyId, epoch);
    }
    assert.ok(pair, 'two epochs share a key id');
    const [older, newer] = pair;
    const opener = new FrameOpener({ deviceId: device.card.id, streamId: 'cam-1' });
    const sealers = [older, newer].map((epoch) => {
      opener.addEpoch({
        epoch,
        epochKey: bytes(32, epoch % 251),
        notBefore: NOW,
        notAfter: NOW + TEN_MINUTES,
      });
      return new FrameSealer({
        deviceId: device.card.id,
        streamId: 'cam-1',
        epoch,
        epochKey: bytes(32, epoch % 251),
      });
    });
    assert.equal(opener.open(sealers[0]!.seal(bytes(4, 1), { keyframe: true, codec: 1 }), NOW).epoch, older);
    assert.equal(opener.open(sealers[1]!.seal(bytes(4, 2), { keyframe: true, codec: 1 }), NOW).epoch, newer);
  });

  it('refuses a second, different key for an epoch it already holds', () => {
    const { opener, manifest } = stream();
    opener.addEpoch({ epoch: 7, epochKey: manifest.epochKey, notBefore: NOW, notAfter: NOW + TEN_MINUTES });
    throwsCode(
      () =>
        opener.addEpoch({ epoch: 7, epochKey: bytes(32, 9), notBefore: NOW, notAfter: NOW + TEN_MINUTES }),
      'MALFORMED',
    );
  });

  it('keeps only the most recent epochs and wipes older keys', () => {
    const { opener, sealer } = stream();
    const frame7 = sealer.seal(bytes(8), { keyframe: true, codec: 1 });
    const held = () => (opener as unknown as { epochs: Map<number, { keys: { key: Uint8Array } }> }).epochs;
    const keys = new Map<number, Uint8Array>([[7, held().get(7)!.keys.key]]);
    for (const epoch of [8, 9, 10]) {
      opener.addEpoch({ epoch, epochKey: bytes(32, epoch), notBefore: NOW, notAfter: NOW + TEN_MINUTES });
      keys.set(epoch, held().get(epoch)!.keys.key);
    }
    assert.deepEqual(opener.epochsHeld, [9, 10]);
    // The very key buffers the opener used for the dropped epochs are now all zero.
    for (const epoch of [7, 8])
      assert.deepEqual(keys.get(epoch), new Uint8Array(32), `epoch ${epoch} key wiped`);
    for (const epoch of [9, 10])
      assert.notDeepEqual(keys.get(epoch), new Uint8Array(32), `epoch ${epoch} key kept`);
    throwsCode(() => opener.open(frame7, NOW), 'STALE');
  });

  it('every single-byte change of a frame is rejected with a typed error', () => {
    const { sealer, opener } = stream();
    const frame = sealer.seal(bytes(40, 3), { keyframe: true, codec: 1 });
    for (let i = 0; i < frame.length; i++) rejects(() => opener.open(flip(frame, i, 0x80), NOW));
    for (let length = 0; length < frame.length; length++)
      rejects(() => opener.open(frame.subarray(0, length), NOW));
    assert.deepEqual(opener.open(frame, NOW).payload, bytes(40, 3));
  });

  it('refuses reserved flag bits, codec 0 and unsupported versions', () => {
    const { sealer, opener } = stream();
    const frame = sealer.seal(bytes(8), { keyframe: true, codec: 1 });
    throwsCode(() => opener.open(flip(frame, 1, 0x02), NOW), 'MALFORMED');
    const noCodec = frame.slice();
    noCodec[1] = 0x01;
    throwsCode(() => opener.open(noCodec, NOW), 'MALFORMED');
    throwsCode(() => opener.open(flip(frame, 0, 0x02), NOW), 'UNSUPPORTED_VERSION');
    const before = sealer.counter;
    throwsCode(() => sealer.seal(bytes(8), { keyframe: false, codec: 0 }), 'MALFORMED');
    assert.equal(sealer.counter, before, 'a refused frame uses no counter');
  });

  it('refuses device ids that are not 16 bytes', () => {
    const { manifest } = stream();
    const options = { deviceId: bytes(15), streamId: 'cam-1', epoch: 1, epochKey: manifest.epochKey };
    throwsCode(() => new FrameSealer(options), 'MALFORMED');
    throwsCode(() => new FrameOpener(options), 'MALFORMED');
  });

  it('a destroyed sealer wipes its key and refuses to seal', () => {
    const { sealer } = stream();
    const key = (sealer as unknown as { keys: { key: Uint8Array } }).keys.key;
    assert.notDeepEqual(key, new Uint8Array(32));
    sealer.destroy();
    assert.deepEqual(key, new Uint8Array(32), 'the frame key is all zero');
    throwsCode(() => sealer.seal(bytes(8), { keyframe: false, codec: 1 }), 'EXHAUSTED');
  });
});
