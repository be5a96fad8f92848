import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  Codec,
  createIdentity,
  decodeLiveMessage,
  decodeMediaPayload,
  FRAME_OVERHEAD_BYTES,
  FrameOpener,
  type Identity,
  openManifest,
  parseStreamId,
  Role,
  ready,
  SealError,
  WireType,
} from '@sealcam/protocol';
import type { AudioUnit, VideoUnit } from '../src/camera/frame.js';
import { LiveStreamSealer } from '../src/seal/live-stream-sealer.js';
import { type PassthroughTake, passthroughTake } from './support/passthrough-units.js';

let device: Identity;
let viewer: Identity;
let take: PassthroughTake;

before(async () => {
  await ready();
  device = createIdentity(Role.Device);
  viewer = createIdentity(Role.Viewer);
  take = await passthroughTake({ seconds: 2, gop: 10, fps: 15 });
});

function sealerFor(streamId: string, keyframeEveryMs = 1000) {
  const sealer = new LiveStreamSealer({
    device,
    streamId: parseStreamId(streamId),
    previousManifest: null,
    rotateEveryMs: 600_000,
    keyframeEveryMs,
  });
  const manifest = sealer.rotate([viewer.card], Date.now());
  assert.ok(manifest);
  return { sealer, manifest };
}

/** A viewer's opener for `streamId`, keyed from the sealer's manifest message. */
function openerFor(streamId: string, manifestMessage: Uint8Array): FrameOpener {
  const message = decodeLiveMessage(manifestMessage);
  assert.equal(message.type, WireType.LiveManifest);
  const opened = openManifest(message.payload, {
    viewer,
    device: device.card,
    streamId,
    now: Date.now(),
  });
  const opener = new FrameOpener({ deviceId: device.card.id, streamId });
  const { epoch, notBefore, notAfter } = opened.manifest;
  opener.addEpoch({ epoch, epochKey: opened.epochKey, notBefore, notAfter });
  return opener;
}

function framePayload(message: Uint8Array): Uint8Array {
  const decoded = decodeLiveMessage(message);
  assert.equal(decoded.type, WireType.LiveFrame);
  return decoded.payload;
}

function refusedWith(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => error instanceof SealError && error.code === code);
}

describe('live sealing of passthrough units (H.264 codec 2, AAC codec 5)', () => {
  it('every H.264 unit opens as codec 2 with its bytes unchanged, its capture time, and a keyframe flag exactly on IDR units', () => {
    const { sealer, manifest } = sealerFor('cam-1');
    // A keyframe request cannot make a passthrough IDR: it must not flag the next unit.
    sealer.requestKeyframe();
    const opener = openerFor('cam-1', manifest);
    const keyframes = take.video.filter((unit) => unit.keyframe).length;
    assert.ok(keyframes >= 2 && keyframes < take.video.length, 'the fixture has IDR and non-IDR units');
    for (const unit of take.video) {
      const message = sealer.sealUnit(unit);
      assert.ok(message);
      const opened = opener.open(framePayload(message), Date.now());
      assert.equal(opened.codec, Codec.H264AnnexB);
      assert.equal(opened.keyframe, unit.keyframe);
      const media = decodeMediaPayload(opened.payload);
      assert.equal(media.capturedAtUs, unit.capturedAtUs);
      assert.deepEqual(Buffer.from(media.unit), Buffer.from(unit.data));
      // The per-frame seal stays 24 bytes over the media payload (8-byte time + unit).
      assert.equal(framePayload(message).length - (8 + unit.data.length), FRAME_OVERHEAD_BYTES);
      assert.equal(FRAME_OVERHEAD_BYTES, 24);
    }
  });

  it('every AAC unit opens as codec 5, never a keyframe, with its ADTS frame unchanged and its capture time', () => {
    const { sealer, manifest } = sealerFor('cam-1');
    const opener = openerFor('cam-1', manifest);
    assert.ok(take.audio.length > 10, 'the fixture has audio');
    for (const unit of take.audio) {
      const opened = opener.open(framePayload(sealer.sealUnit(unit)!), Date.now());
      assert.equal(opened.codec, Codec.AacAdts);
      assert.equal(opened.keyframe, false);
      const media = decodeMediaPayload(opened.payload);
      assert.equal(media.capturedAtUs, unit.capturedAtUs);
      assert.deepEqual(Buffer.from(media.unit), Buffer.from(unit.data));
    }
  });

  it('JPEG frames go as codec 6: the capture time, then the image unchanged; the first one a keyframe', () => {
    const { sealer, manifest } = sealerFor('cam-1');
    const opener = openerFor('cam-1', manifest);
    const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const capturedAt = Date.now() - 40;
    const opened = opener.open(framePayload(sealer.sealFrame(jpeg, capturedAt, Date.now())!), Date.now());
    assert.equal(opened.codec, Codec.JpegTimed);
    assert.equal(opened.keyframe, true);
    const media = decodeMediaPayload(opened.payload);
    assert.equal(media.capturedAtUs, capturedAt * 1000);
    assert.deepEqual(Buffer.from(media.unit), Buffer.from(jpeg));
  });

  it('nothing is sealed while no epoch is active (no viewers)', () => {
    const sealer = new LiveStreamSealer({
      device,
      streamId: parseStreamId('cam-1'),
      previousManifest: null,
      rotateEveryMs: 600_000,
      keyframeEveryMs: 1000,
    });
    assert.equal(sealer.sealUnit(take.video[0]!), null);
    assert.equal(sealer.sealUnit(take.audio[0]!), null);
  });

  for (const kind of ['h264', 'aac'] as const) {
    const unitOf = (): VideoUnit | AudioUnit => (kind === 'h264' ? take.video[1]! : take.audio[1]!);

    it(`a tampered ${kind} frame is refused (DECRYPT_FAILED), and the untampered one still opens`, () => {
      const { sealer, manifest } = sealerFor('cam-1');
      const opener = openerFor('cam-1', manifest);
      const payload = framePayload(sealer.sealUnit(unitOf())!);
      for (const offset of [3, 24, payload.length - 1]) {
        const tampered = new Uint8Array(payload);
        tampered[offset]! ^= 0x01;
        assert.throws(() => opener.open(tampered, Date.now()), SealError);
      }
      const tampered = new Uint8Array(payload);
      tampered[30]! ^= 0x80;
      refusedWith(() => opener.open(tampered, Date.now()), 'DECRYPT_FAILED');
      assert.equal(opener.open(payload, Date.now()).codec, kind === 'h264' ? 2 : 5);
    });

    it(`a replayed ${kind} frame is refused (REPLAYED)`, () => {
      const { sealer, manifest } = sealerFor('cam-1');
      const opener = openerFor('cam-1', manifest);
      const first = framePayload(sealer.sealUnit(unitOf())!);
      const second = framePayload(sealer.sealUnit(unitOf())!);
      opener.open(first, Date.now());
      opener.open(second, Date.now());
      refusedWith(() => opener.open(first, Date.now()), 'REPLAYED');
      refusedWith(() => opener.open(second, Date.now()), 'REPLAYED');
    });

    it(`a ${kind} frame of another camera of the same device does not open under this camera's keys`, () => {
      const own = sealerFor('cam-1');
      const other = sealerFor('cam-2');
      const opener = openerFor('cam-1', own.manifest);
      const foreign = framePayload(other.sealer.sealUnit(unitOf())!);
      assert.throws(() => opener.open(foreign, Date.now()), SealError);
    });
  }
});
