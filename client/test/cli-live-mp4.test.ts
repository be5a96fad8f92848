import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Codec } from '@sealcam/protocol';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import { LiveMp4Writer } from '../src/cli/live-mp4.js';
import { LiveOutputError } from '../src/cli/live-output-error.js';
import { FIXTURE_EPOCH_US, fileStream, liveFrames, probe } from './support/media-probe.js';

/** The CLI's live MP4 writer fed real libx264/AAC units, read back by real ffprobe. */
const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'sealcam-live-mp4-')), name);

function streamOf(path: string, type: 'video' | 'audio') {
  return probe(path).streams.find((stream) => stream.codec_type === type);
}

test('live MP4 of H.264 with AAC: ffprobe reads h264 320x240, 45 frames, 3.0 s, and an aac stream', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const path = tempFile('live.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  for (const frame of liveFrames(fixture)) await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.videoFrames, 45);
  assert.ok(summary.audioFrames > 100, `audio frames written: ${summary.audioFrames}`);
  const info = probe(path);
  assert.match(info.format.format_name, /mp4/);
  const video = info.streams.find((stream) => stream.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(video?.width, 320);
  assert.equal(video?.height, 240);
  assert.equal(Number(video?.nb_read_frames), 45);
  const duration = Number(info.format.duration);
  assert.ok(Math.abs(duration - 3) < 0.15, `duration ${duration}`);
  const audio = info.streams.find((stream) => stream.codec_type === 'audio');
  assert.equal(audio?.codec_name, 'aac');
});

test('live MP4 without audio frames has one h264 stream and no audio stream', async () => {
  const fixture = mediaFixture({ seconds: 2, fps: 15, audio: false });
  const path = tempFile('video-only.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  for (const frame of liveFrames(fixture)) await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.audioFrames, 0);
  const info = probe(path);
  assert.deepEqual(
    info.streams.map((stream) => stream.codec_name),
    ['h264'],
  );
  assert.equal(Number(info.streams[0]?.nb_read_frames), 30);
  assert.ok(Math.abs(Number(info.format.duration) - 2) < 0.15, `duration ${info.format.duration}`);
});

test('live MP4 joined mid-GOP starts at the first keyframe: 5 earlier delta units left out, 30 frames, 2.0 s', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  // Units 10..14 are the end of the first GOP (keyframes every 15 units): a viewer joining late.
  const frames = liveFrames(fixture, { from: 10 });
  assert.equal(frames.find((frame) => frame.codec === Codec.H264AnnexB)?.keyframe, false);
  const path = tempFile('late.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  for (const frame of frames) await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.videoFrames, 30);
  assert.ok(summary.skippedBeforeKeyframe >= 5, `skipped ${summary.skippedBeforeKeyframe}`);
  const video = streamOf(path, 'video');
  assert.equal(Number(video?.nb_read_frames), 30);
  const info = probe(path);
  assert.ok(Math.abs(Number(info.format.duration) - 2) < 0.15, `duration ${info.format.duration}`);
});

test('live MP4 is readable by ffprobe while it is written: the fragments before the last keyframe decode', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const path = tempFile('growing.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  // Everything up to and including the third keyframe (unit 30): the fragments of the first two
  // seconds are complete once the muxer has seen the keyframe that ends them.
  const frames = liveFrames(fixture);
  const keyframes = frames.flatMap((frame, index) =>
    frame.codec === Codec.H264AnnexB && frame.keyframe ? [index] : [],
  );
  const thirdKey = keyframes[2]!;
  for (const frame of frames.slice(0, thirdKey + 1)) await writer.add(frame);
  // A bounded wait for the file stream to reach the disk (writes are asynchronous).
  const deadline = Date.now() + 30_000;
  let decoded = 0;
  while (Date.now() < deadline) {
    if (existsSync(path) && statSync(path).size > 0) {
      try {
        decoded = Number(streamOf(path, 'video')?.nb_read_frames ?? 0);
      } catch {
        decoded = 0;
      }
      if (decoded >= 15) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(decoded >= 15, `frames readable before close: ${decoded}`);
  for (const frame of frames.slice(thirdKey + 1)) await writer.add(frame);
  await writer.close();
  assert.equal(Number(streamOf(path, 'video')?.nb_read_frames), 45);
});

test('live MP4 refuses a JPEG camera with JPEG_CAMERA and opens no file', async () => {
  const path = tempFile('jpeg.mp4');
  let opened = false;
  const writer = new LiveMp4Writer(() => {
    opened = true;
    return fileStream(path);
  });
  await assert.rejects(
    writer.add({
      codec: Codec.Jpeg,
      data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
      keyframe: true,
      capturedAtUs: null,
    }),
    (error: unknown) => error instanceof LiveOutputError && error.reason === 'JPEG_CAMERA',
  );
  await assert.rejects(writer.close(), (error: unknown) => error instanceof LiveOutputError);
  assert.equal(opened, false);
  assert.equal(existsSync(path), false);
});

test('live MP4 with no keyframe ever opens no file and says it did not start', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const path = tempFile('none.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  for (const frame of liveFrames(fixture, { from: 1 })
    .filter((f) => !f.keyframe || f.codec === Codec.AacAdts)
    .slice(0, 20))
    await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.started, false);
  assert.equal(summary.videoFrames, 0);
  assert.equal(existsSync(path), false);
});

test('live MP4 whose audio starts after 1 s of video: the file has only the h264 stream, the late audio is counted as left out', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const path = tempFile('late-audio.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path), { audioWaitUs: 1_000_000 });
  const lateAudioUs = 1_500_000;
  const frames = liveFrames(fixture).filter(
    (frame) => frame.codec === Codec.H264AnnexB || frame.capturedAtUs! - FIXTURE_EPOCH_US >= lateAudioUs,
  );
  for (const frame of frames) await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.videoFrames, 45);
  assert.equal(summary.audioFrames, 0);
  assert.ok(summary.audioLeftOut > 0, `audio left out: ${summary.audioLeftOut}`);
  const info = probe(path);
  assert.deepEqual(
    info.streams.map((stream) => stream.codec_name),
    ['h264'],
  );
  assert.equal(Number(info.streams[0]?.nb_read_frames), 45);
});
