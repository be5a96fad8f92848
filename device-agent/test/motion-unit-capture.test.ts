import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CLIP_MP4_TYPE,
  Codec,
  checkMp4ClipChunk,
  createIdentity,
  type Identity,
  openClip,
  openEvent,
  Role,
  ready,
  SealError,
} from '@sealcam/protocol';
import { requireProgram } from '@sealcam/testkit/programs';
import type { CaptureOptions } from '../src/motion/capture-options.js';
import { GopPreRoll, type MediaUnit } from '../src/motion/gop-pre-roll.js';
import { muxMp4Clip } from '../src/motion/mp4-clip.js';
import { type CapturedUnitEvent, UnitCapture } from '../src/motion/unit-capture.js';
import { sealRecordedEvent } from '../src/seal/event-sealing.js';
import { passthroughTake } from './support/passthrough-units.js';

const MOTION = { cooldownSeconds: 0.5, endAfterSeconds: 0.3, backgroundSeconds: 0.5 };

let device: Identity;
let viewer: Identity;

before(async () => {
  await ready();
  requireProgram('ffprobe', 'ffmpeg');
  device = createIdentity(Role.Device);
  viewer = createIdentity(Role.Viewer);
});

async function capture(
  frames: Parameters<UnitCapture['push']>[0][],
  options: Partial<CaptureOptions>,
): Promise<CapturedUnitEvent[]> {
  const events: CapturedUnitEvent[] = [];
  const errors: Error[] = [];
  const unitCapture = new UnitCapture({
    cameraId: 'cam-1',
    options: { motion: MOTION, ...options },
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error),
  });
  for (const frame of frames) unitCapture.push(frame);
  await unitCapture.close();
  assert.deepEqual(errors, []);
  return events;
}

interface Probe {
  streams: { codec_type: string; codec_name: string; nb_read_frames?: string; duration?: string }[];
}

/** ffprobe's view of an MP4 file: streams with counted frames, and the video packets' flags. */
function probe(mp4: Uint8Array): { info: Probe; videoFlags: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-clip-'));
  try {
    const file = join(dir, 'clip.mp4');
    writeFileSync(file, mp4);
    const streams = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_type,codec_name,nb_read_frames,duration',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(streams.status, 0, streams.stderr);
    const packets = spawnSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(packets.status, 0, packets.stderr);
    return {
      info: JSON.parse(streams.stdout) as Probe,
      videoFlags: packets.stdout.split('\n').filter((line) => line.length > 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seals the muxed clip as the agent does and opens it as a viewer: the chunks and the opened event. */
function sealAndOpen(
  event: CapturedUnitEvent,
  chunks: Uint8Array[],
  clip: { codec: number; type: string; frames: number },
) {
  const sealed = sealRecordedEvent(
    device,
    {
      cameraId: 'cam-1',
      start: event.start,
      end: event.end,
      score: event.score,
      thumbnail: null,
      chunks,
      clip,
    },
    [viewer.card],
  );
  const opened = openEvent(sealed.envelope, { viewer, device: device.card });
  return { sealed, opened };
}

describe('GopPreRoll', () => {
  it('always starts at a keyframe: units before the first keyframe are dropped and whole GOPs leave from the front', async () => {
    const take = await passthroughTake({ seconds: 4, gop: 15, fps: 15 });
    const preRoll = new GopPreRoll(1500, 64 * 1024 * 1024);
    // Start mid-GOP: the first units (and audio) cannot decode alone.
    const units: MediaUnit[] = take.frames.filter((f): f is MediaUnit => f.kind !== 'still');
    const firstKey = units.findIndex((u) => u.kind === 'h264' && u.keyframe);
    const fromMidGop = units.slice(
      units.findIndex((u, i) => i > firstKey && u.kind === 'h264' && !u.keyframe),
    );
    for (const unit of fromMidGop) {
      preRoll.push(unit);
      const taken = new GopPreRoll(1500, 64 * 1024 * 1024);
      for (const u of fromMidGop.slice(0, fromMidGop.indexOf(unit) + 1)) taken.push(u);
      const held = taken.takeSince(unit.capturedAt - 1500);
      if (held.length > 0) {
        const head = held[0]!;
        assert.ok(head.kind === 'h264' && head.keyframe, 'the pre-roll starts at a keyframe');
      }
    }
    const last = fromMidGop[fromMidGop.length - 1]!;
    const held = preRoll.takeSince(last.capturedAt - 1500);
    const head = held[0]!;
    assert.ok(head.kind === 'h264' && head.keyframe);
    assert.ok(head.capturedAt <= last.capturedAt - 1500, 'covers the whole pre-roll');
    assert.ok(head.capturedAt > last.capturedAt - 1500 - 1000, 'holds no more than one GOP beyond it');
  });
});

describe('UnitCapture + muxMp4Clip: passthrough motion events as fragmented MP4', () => {
  it('motion in the stills gives one event whose MP4 clip ffprobe reads as H.264 + AAC, all units, starting at a keyframe', async () => {
    const take = await passthroughTake({
      seconds: 6,
      gop: 15,
      fps: 15,
      moving: (ms) => ms >= 2500 && ms < 3500,
    });
    const [event, ...more] = await capture(take.frames, { preRollSeconds: 1, postRollSeconds: 1 });
    assert.ok(event, 'an event');
    assert.equal(more.length, 0);
    const first = event.units[0]!;
    assert.ok(first.kind === 'h264' && first.keyframe, 'the clip starts at a keyframe');
    assert.ok(event.clipStart <= event.start - 1000, 'the pre-roll covers one second before the motion');
    assert.ok(event.clipEnd >= event.end + 900, 'the post-roll runs about one second after it');
    assert.ok(
      event.units.some((u) => u.kind === 'aac'),
      'audio is in the clip',
    );
    assert.ok(event.thumbnailSource.kind === 'still');

    const clip = await muxMp4Clip(event.units, { budgetBytes: 64 * 1024 });
    assert.equal(clip.droppedFrames, 0);
    assert.deepEqual(clip.clip, { codec: Codec.H264AnnexB, type: CLIP_MP4_TYPE, frames: event.videoUnits });
    assert.ok(clip.chunks.length >= 2, 'several chunks');
    clip.chunks.forEach((chunk, index) => {
      const boxes = checkMp4ClipChunk(chunk, index === 0);
      if (index === 0) assert.deepEqual(boxes.slice(0, 2), ['ftyp', 'moov']);
      else assert.equal(boxes[0], 'moof', 'later chunks begin with a fragment');
    });

    const { sealed, opened } = sealAndOpen(event, clip.chunks, clip.clip);
    assert.equal(opened.record.clip?.type, CLIP_MP4_TYPE);
    assert.equal(opened.record.clip?.codec, Codec.H264AnnexB);
    assert.equal(opened.record.clip?.frames, event.videoUnits);
    const mp4 = openClip(sealed.chunks, opened);
    assert.equal(mp4.length, clip.bytes);

    const { info, videoFlags } = probe(mp4);
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(Number(video?.nb_read_frames), event.videoUnits);
    const videoUnits = event.units.filter((u) => u.kind === 'h264');
    const expected =
      (videoUnits[videoUnits.length - 1]!.capturedAtUs - videoUnits[0]!.capturedAtUs) / 1e6 + 1 / 15;
    assert.ok(
      Math.abs(Number(video?.duration) - expected) < 0.2,
      `duration ${video?.duration} ≈ ${expected}`,
    );
    assert.equal(audio?.codec_name, 'aac');
    assert.equal(videoFlags.length, event.videoUnits);
    assert.ok(videoFlags[0]!.startsWith('K'), 'the first video sample is a keyframe');
  });

  it('stills that arrive after later units, and audio interleaved loosely with video, are not a clock step: the event is found', async () => {
    const take = await passthroughTake({
      seconds: 6,
      gop: 15,
      fps: 15,
      moving: (ms) => ms >= 2500 && ms < 3500,
    });
    // As real sources deliver them: each still (decoded beside the units) some units later, and each
    // audio unit after the video unit that follows it in time.
    const late: Parameters<UnitCapture['push']>[0][] = [];
    const held: { item: Parameters<UnitCapture['push']>[0]; until: number }[] = [];
    take.frames.forEach((frame, index) => {
      if (frame.kind === 'still') held.push({ item: frame, until: index + 6 });
      else if (frame.kind === 'aac') held.push({ item: frame, until: index + 2 });
      else late.push(frame);
      while (held.length > 0 && held[0]!.until <= index) late.push(held.shift()!.item);
    });
    late.push(...held.map((entry) => entry.item));
    assert.ok(
      late.some((frame, index) => index > 0 && frame.capturedAt < late[index - 1]!.capturedAt),
      'the delivery order is not the capture order',
    );
    const events = await capture(late, { preRollSeconds: 1, postRollSeconds: 1 });
    assert.equal(events.length, 1, 'one event, not cut by a clock step');
    assert.notEqual(events[0]!.closedBy, 'clock-step');
  });

  it('a camera without audio gives an MP4 clip with a video track only', async () => {
    const take = await passthroughTake({
      seconds: 5,
      gop: 15,
      fps: 15,
      audio: false,
      moving: (ms) => ms >= 2000 && ms < 3000,
    });
    const [event] = await capture(take.frames, { preRollSeconds: 1, postRollSeconds: 0.5 });
    assert.ok(event);
    const clip = await muxMp4Clip(event.units);
    const { sealed, opened } = sealAndOpen(event, clip.chunks, clip.clip);
    const { info } = probe(openClip(sealed.chunks, opened));
    assert.deepEqual(
      info.streams.map((s) => s.codec_type),
      ['video'],
    );
    assert.equal(Number(info.streams[0]!.nb_read_frames), event.videoUnits);
  });

  it('a truncated or reordered MP4 clip is refused when opened', async () => {
    const take = await passthroughTake({
      seconds: 6,
      gop: 15,
      fps: 15,
      moving: (ms) => ms >= 2500 && ms < 3500,
    });
    const [event] = await capture(take.frames, { preRollSeconds: 1, postRollSeconds: 1 });
    assert.ok(event);
    const clip = await muxMp4Clip(event.units, { budgetBytes: 64 * 1024 });
    assert.ok(clip.chunks.length >= 3);
    const { sealed, opened } = sealAndOpen(event, clip.chunks, clip.clip);
    const chunks = sealed.chunks;
    assert.throws(
      () => openClip(chunks.slice(0, -1), opened),
      (error: unknown) => error instanceof SealError && error.code === 'TRUNCATED',
    );
    assert.throws(
      () => openClip([chunks[1]!, chunks[0]!, ...chunks.slice(2)], opened),
      (error: unknown) => error instanceof SealError && error.code === 'REPLAYED',
    );
  });

  it('maxEventSeconds splits a long event at keyframes: every clip starts at a keyframe and no video unit is lost', async () => {
    const take = await passthroughTake({
      seconds: 8,
      gop: 15,
      fps: 15,
      moving: (ms) => ms >= 1000 && ms < 7000,
    });
    const events = await capture(take.frames, {
      preRollSeconds: 0.5,
      postRollSeconds: 0.5,
      maxEventSeconds: 2.5,
    });
    assert.ok(events.length >= 2, `${events.length} events`);
    for (const event of events) {
      const head = event.units[0]!;
      assert.ok(head.kind === 'h264' && head.keyframe, 'each clip starts at a keyframe');
      assert.ok(event.clipEnd - event.clipStart < 2500 + 1000, 'at most one GOP past maxEventSeconds');
    }
    assert.equal(events[0]!.closedBy, 'max-duration');
    for (let i = 1; i < events.length; i++) {
      const previousLast = events[i - 1]!.units.filter((u) => u.kind === 'h264').at(-1)!;
      const nextFirst = events[i]!.units[0]!;
      const frameUs = 1_000_000 / 15;
      if (events[i - 1]!.closedBy === 'max-duration')
        assert.ok(
          Math.abs(nextFirst.capturedAtUs - previousLast.capturedAtUs - frameUs) < 2,
          'the continuation starts with the unit right after the previous clip',
        );
    }
  });

  it('maxEventBytes splits an event at a keyframe and keeps every clip under the cap', async () => {
    const take = await passthroughTake({
      seconds: 8,
      gop: 15,
      fps: 15,
      moving: (ms) => ms >= 1000 && ms < 7000,
    });
    const gopBytes = take.video.slice(0, 15).reduce((sum, u) => sum + u.data.length, 0);
    const cap = Math.round(gopBytes * 2.5);
    const events = await capture(take.frames, {
      preRollSeconds: 0.5,
      preRollBytes: gopBytes * 2,
      postRollSeconds: 0.5,
      maxEventBytes: cap,
    });
    assert.ok(
      events.some((e) => e.closedBy === 'max-bytes'),
      'an event was split by the byte cap',
    );
    for (const event of events) {
      assert.ok(event.bytes <= cap, `${event.bytes} <= ${cap}`);
      const head = event.units[0]!;
      assert.ok(head.kind === 'h264' && head.keyframe, 'each clip starts at a keyframe');
    }
  });

  it('no motion in the stills gives no event', async () => {
    const take = await passthroughTake({ seconds: 3, gop: 15, fps: 15 });
    assert.deepEqual(await capture(take.frames, {}), []);
  });
});
