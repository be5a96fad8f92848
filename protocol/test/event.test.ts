import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Codec,
  EventSealer,
  type Identity,
  openClip,
  openClipChunk,
  openEvent,
  openThumbnail,
  paddedLength,
  parseEventEnvelope,
  toHex,
  utf8,
} from '../src/index.js';
import { sodium } from '../src/sodium.js';
import { bytes, flip, NOW, rejects, throwsCode, type World, world } from './fixtures.js';

const MARKER = utf8('MARKER-PLAINTEXT-0123456789');

/** A time as a u64, big-endian (as the protocol writes integers) or little-endian. */
function u64(value: number, littleEndian = false): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), littleEndian);
  return out;
}

/** Byte offsets where `needle` occurs in `haystack`. */
function offsetsOf(haystack: Uint8Array, needle: Uint8Array): number[] {
  const found: number[] = [];
  for (let i = 0; i + needle.length <= haystack.length; i++)
    if (needle.every((byte, j) => haystack[i + j] === byte)) found.push(i);
  return found;
}

function sealOne(w: World, device: Identity = w.device, streamId = 'cam-1') {
  const sealer = new EventSealer({ device, streamId }, w.rng);
  const thumbnailPlain = new Uint8Array([...MARKER, ...bytes(200, 7)]);
  const chunkPlain = [bytes(1000, 1), bytes(1000, 2), new Uint8Array([...MARKER, 3])];
  const thumbnail = sealer.sealThumbnail(thumbnailPlain);
  const chunks = chunkPlain.map((chunk, i) => sealer.sealClipChunk(chunk, i === chunkPlain.length - 1));
  const envelope = sealer.finish(
    {
      kind: 'motion',
      start: NOW,
      end: NOW + 8000,
      score: 0.42,
      labels: ['MARKER-LABEL'],
      clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 3 },
    },
    [w.owner.card, w.friend.card],
  );
  return { sealer, envelope, thumbnail, chunks, thumbnailPlain, chunkPlain };
}

describe('events', () => {
  it('round-trips record (with its start and end times), thumbnail and clip for every recipient', () => {
    const w = world('events');
    const e = sealOne(w);
    for (const viewer of [w.owner, w.friend]) {
      const event = openEvent(e.envelope, { viewer, device: w.device.card, eventId: e.sealer.eventId });
      assert.equal(event.record.kind, 'motion');
      assert.equal(event.record.start, NOW);
      assert.equal(event.record.end, NOW + 8000);
      assert.equal(event.time, NOW, 'the public event time is the record start');
      assert.equal(event.record.score, 0.42);
      assert.deepEqual(event.record.labels, ['MARKER-LABEL']);
      assert.equal(event.record.thumbnail?.bytes, e.thumbnailPlain.length);
      assert.equal(event.record.clip?.chunkHashes.length, 3);
      assert.deepEqual(openThumbnail(e.thumbnail, event), e.thumbnailPlain);
      assert.deepEqual(openClip(e.chunks, event), new Uint8Array(e.chunkPlain.flatMap((c) => [...c])));
    }
  });

  it('invariant 1: no plaintext byte sequence (marker, labels, kind, record times) is visible in sealed objects; the start time only as the public event time', () => {
    const w = world('events-marker');
    const e = sealOne(w);
    const markerHex = toHex(MARKER);
    const end = NOW + 8000;
    // The record's times as decimal text and in any binary form (the record holds them as u64).
    const hiddenTimes = [utf8(String(NOW)), utf8(String(end)), u64(end), u64(end, true), u64(NOW, true)];
    for (const object of [e.envelope, e.thumbnail, ...e.chunks]) {
      const hex = toHex(object);
      assert.ok(!hex.includes(markerHex));
      assert.ok(!hex.includes(toHex(utf8('MARKER-LABEL'))));
      assert.ok(!hex.includes(toHex(utf8('motion'))));
      for (const time of hiddenTimes)
        assert.deepEqual(offsetsOf(object, time), [], `time ${toHex(time)} visible`);
    }
    // The start is public by design (the relay lists events by it): once, in the envelope, as its time field.
    assert.equal(parseEventEnvelope(e.envelope).time, NOW);
    assert.equal(offsetsOf(e.envelope, u64(NOW)).length, 1, 'the start once in the envelope');
    for (const object of [e.thumbnail, ...e.chunks]) assert.deepEqual(offsetsOf(object, u64(NOW)), []);
  });

  it('the public event time is bound: the envelope with another time is refused', () => {
    const w = world('events-time');
    const e = sealOne(w);
    const [offset] = offsetsOf(e.envelope, u64(NOW));
    assert.ok(offset !== undefined);
    for (const delta of [1, 1000, 3_600_000]) {
      const moved = e.envelope.slice();
      new DataView(moved.buffer).setBigUint64(offset, BigInt(NOW + delta));
      assert.equal(parseEventEnvelope(moved).time, NOW + delta, 'the time field was the one changed');
      throwsCode(() => openEvent(moved, { viewer: w.owner, device: w.device.card }), 'BAD_SIGNATURE');
    }
  });

  it('invariant 2: a viewer not chosen by the device cannot open the event', () => {
    const w = world('events-stranger');
    const e = sealOne(w);
    throwsCode(() => openEvent(e.envelope, { viewer: w.stranger, device: w.device.card }), 'NOT_RECIPIENT');
  });

  it('invariant 4: a thumbnail moved to another event of the same camera is refused', () => {
    const w = world('events-move');
    const a = sealOne(w);
    const b = sealOne(w);
    const eventB = openEvent(b.envelope, { viewer: w.owner, device: w.device.card });
    throwsCode(() => openThumbnail(a.thumbnail, eventB), 'WRONG_EVENT');
    // With the header rewritten to claim event B, the device's signed record does not cover it.
    const relabelled = a.thumbnail.slice();
    relabelled.set(b.sealer.eventId, 18);
    throwsCode(() => openThumbnail(relabelled, eventB), 'BAD_SIGNATURE');
    throwsCode(() => openClipChunk(a.chunks[0]!, eventB, 0), 'WRONG_EVENT');
  });

  it('invariant 4: a thumbnail from another camera is refused as "not from your camera"', () => {
    const w = world('events-camera');
    const mine = sealOne(w);
    const theirs = sealOne(w, w.otherDevice);
    const event = openEvent(mine.envelope, { viewer: w.owner, device: w.device.card });
    const error = throwsCode(() => openThumbnail(theirs.thumbnail, event), 'WRONG_DEVICE');
    assert.match(error.message, /not from your camera/);
    // An envelope of another camera, verified against the paired camera's key.
    throwsCode(() => openEvent(theirs.envelope, { viewer: w.owner, device: w.device.card }), 'WRONG_DEVICE');
  });

  it('invariant 4: the answer must be the event or stream that was asked for', () => {
    const w = world('events-ask');
    const a = sealOne(w);
    const b = sealOne(w, w.device, 'cam-2');
    throwsCode(
      () => openEvent(a.envelope, { viewer: w.owner, device: w.device.card, eventId: b.sealer.eventId }),
      'WRONG_EVENT',
    );
    throwsCode(
      () => openEvent(b.envelope, { viewer: w.owner, device: w.device.card, streamId: 'cam-1' }),
      'WRONG_STREAM',
    );
  });

  it('invariant 6: another viewer of the same camera cannot forge a thumbnail, clip or record', () => {
    const w = world('events-forge');
    const e = sealOne(w);
    const event = openEvent(e.envelope, { viewer: w.friend, device: w.device.card });
    // The friend knows the event key and seals its own thumbnail under it, with the right header.
    const header = e.thumbnail.subarray(0, 34);
    const nonce = new Uint8Array(24);
    nonce[0] = 0x02;
    const forgedBody = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      new Uint8Array([1, 2, 3, 0x80]),
      header,
      null,
      nonce,
      event.key,
    );
    const forged = new Uint8Array([...header, ...forgedBody]);
    throwsCode(() => openThumbnail(forged, event), 'BAD_SIGNATURE');
    // Re-signing the envelope is impossible without the device key.
    const envelope = parseEventEnvelope(e.envelope);
    const resigned = e.envelope.slice();
    resigned.set(
      sodium.crypto_sign_detached(envelope.signedPart, w.friend.signSecretKey),
      envelope.signedPart.length,
    );
    throwsCode(() => openEvent(resigned, { viewer: w.owner, device: w.device.card }), 'BAD_SIGNATURE');
  });

  it('chunking detects truncation, reordering, duplication and splicing', () => {
    const w = world('events-chunks');
    const e = sealOne(w);
    const other = sealOne(w);
    const event = openEvent(e.envelope, { viewer: w.owner, device: w.device.card });
    const [c0, c1, c2] = e.chunks as [Uint8Array, Uint8Array, Uint8Array];
    throwsCode(() => openClip([c0, c1], event), 'TRUNCATED');
    throwsCode(() => openClip([c0, c2, c1], event), 'REPLAYED');
    throwsCode(() => openClip([c0, c0, c2], event), 'REPLAYED');
    throwsCode(() => openClip([c0, c1, c2, c2], event), 'REPLAYED');
    throwsCode(() => openClip([c0, other.chunks[1]!, c2], event), 'WRONG_EVENT');
    const relabelled = other.chunks[1]!.slice();
    relabelled.set(e.sealer.eventId, 18);
    throwsCode(() => openClip([c0, relabelled, c2], event), 'BAD_SIGNATURE');
    throwsCode(() => openClipChunk(flip(c1, 38, 0x01), event, 1), 'MALFORMED');
    assert.equal(openClipChunk(c2, event, 2).final, true);
  });

  it('every single-byte change of an envelope, thumbnail or chunk is rejected with a typed error', () => {
    const w = world('events-tamper');
    const e = sealOne(w);
    const expect = { viewer: w.owner, device: w.device.card };
    const event = openEvent(e.envelope, expect);
    for (let i = 0; i < e.envelope.length; i++) rejects(() => openEvent(flip(e.envelope, i), expect));
    for (let i = 0; i < e.thumbnail.length; i++) rejects(() => openThumbnail(flip(e.thumbnail, i), event));
    for (let i = 0; i < e.chunks[0]!.length; i++)
      rejects(() => openClipChunk(flip(e.chunks[0]!, i), event, 0));
    for (let n = 0; n < e.envelope.length; n += 7)
      rejects(() => openEvent(e.envelope.subarray(0, n), expect));
  });

  it('invariant 8: each event has its own key, and the sealer wipes it once the event is finished', () => {
    const w = world('events-keys');
    const a = sealOne(w);
    const b = sealOne(w);
    const keyA = openEvent(a.envelope, { viewer: w.owner, device: w.device.card }).key;
    const keyB = openEvent(b.envelope, { viewer: w.owner, device: w.device.card }).key;
    assert.notDeepEqual(keyA, keyB);
    const held = a.sealer as unknown as { eventKey: Uint8Array; key: Uint8Array };
    assert.deepEqual(held.eventKey, new Uint8Array(32), 'event key wiped');
    assert.deepEqual(held.key, new Uint8Array(32), 'content key wiped');
  });

  it('size padding hides exact sizes when enabled', () => {
    const w = world('events-pad');
    const sealer = new EventSealer({ device: w.device, streamId: 'cam-1', padding: 'padme' }, w.rng);
    const sealed = sealer.sealThumbnail(bytes(10_001));
    assert.equal(sealed.length, 34 + paddedLength(10_001, 'padme') + 16);
    assert.ok(paddedLength(10_001, 'padme') > 10_002);
    assert.ok(paddedLength(10_001, 'padme') <= 10_002 * 1.12);
    assert.equal(paddedLength(10_001, 'padme'), paddedLength(10_010, 'padme'));
    const envelope = sealer.finish({ kind: 'motion', start: NOW, end: NOW, score: 1 }, [w.owner.card]);
    const event = openEvent(envelope, { viewer: w.owner, device: w.device.card });
    assert.deepEqual(openThumbnail(sealed, event), bytes(10_001));
  });

  it('refuses to finish an event whose clip has no final chunk, and seals nothing after finish', () => {
    const w = world('events-final');
    const sealer = new EventSealer({ device: w.device, streamId: 'cam-1' }, w.rng);
    sealer.sealClipChunk(bytes(10), false);
    const summary = {
      kind: 'motion',
      start: NOW,
      end: NOW,
      score: 0,
      clip: { codec: 1, type: 'x', frames: 1 },
    };
    throwsCode(() => sealer.finish(summary, [w.owner.card]), 'TRUNCATED');
    sealer.sealClipChunk(bytes(10), true);
    sealer.finish(summary, [w.owner.card]);
    throwsCode(() => sealer.sealThumbnail(bytes(1)), 'EXHAUSTED');
  });
});
