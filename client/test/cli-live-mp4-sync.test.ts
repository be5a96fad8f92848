import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Codec, withoutReplacedParameterSets } from '@sealcam/protocol';
import { assertAvSync } from '@sealcam/testkit/av-sync';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import { h264DecoderConfig } from '../src/cli/decoder-config.js';
import { LiveMp4Writer, parameterSets } from '../src/cli/live-mp4.js';
import { segmentPath } from '../src/cli/live-sinks.js';
import { fileStream, liveFrames, probe } from './support/media-probe.js';

/**
 * The CLI's live MP4 writer on real libx264/AAC units of a camera that flashes and beeps at the same
 * instants (capture times as the agent seals them), measured in the written file by real ffmpeg.
 */
const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'sealcam-live-sync-')), name);

const FPS = 15;
/**
 * A flash shows at the first frame at or after it (≤ 1 frame, 67 ms at 15 fps), a beep within one AAC
 * frame (21 ms at 48 kHz) plus the AAC encoder's one-frame priming, which an MP4 without an edit list
 * plays: 67 + 21 + 21 ≈ 110 ms.
 */
const BOUND_MS = 1000 / FPS + 2 * ((1024 / 48_000) * 1000);

for (const from of [0, 7]) {
  const joined =
    from === 0 ? 'from the first keyframe' : 'joined mid-GOP (audio before the keyframe left out)';
  test(`live MP4 ${joined}: every flash has its beep within one video frame + two AAC frames`, async () => {
    const fixture = mediaFixture({ seconds: 8, fps: FPS, pattern: 'flash-beep' });
    const path = tempFile('sync.mp4');
    const writer = new LiveMp4Writer(() => fileStream(path));
    for (const frame of liveFrames(fixture, { from })) await writer.add(frame);
    const summary = await writer.close();
    assert.ok(summary.audioFrames > 300, `audio frames written: ${summary.audioFrames}`);
    assertAvSync(path, { minFlashes: 6, boundMs: BOUND_MS, label: 'live MP4' });
  });
}

test('live MP4 when the camera’s resolution changes at a keyframe: out.mp4 stays 320x240 (45 frames), out-2.mp4 is 160x120 (30 frames), both read by ffprobe', async () => {
  const before = mediaFixture({ seconds: 3, fps: FPS, width: 320, height: 240 });
  const after = mediaFixture({ seconds: 2, fps: FPS, width: 160, height: 120 });
  const path = tempFile('out.mp4');
  const opened: number[] = [];
  const changes: { segment: number; change: string }[] = [];
  const writer = new LiveMp4Writer(
    (segment) => {
      opened.push(segment);
      return fileStream(segmentPath(path, segment));
    },
    { onSegment: (segment, change) => changes.push({ segment, change }) },
  );
  // The second encode continues the capture timeline one frame after the first one's last frame.
  const shiftUs = 3_000_000;
  const frames = [
    ...liveFrames(before),
    ...liveFrames(after).map((frame) => ({ ...frame, capturedAtUs: frame.capturedAtUs! + shiftUs })),
  ];
  for (const frame of frames) await writer.add(frame);
  const summary = await writer.close();
  assert.deepEqual(opened, [1, 2]);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]?.segment, 2);
  assert.match(
    changes[0]?.change ?? '',
    /^new H\.264 parameters \(SPS\/PPS\); now 160x120 avc1\.[0-9a-f]{6}$/,
  );
  assert.equal(summary.segments, 2);
  assert.equal(summary.videoFrames, 75);
  const second = segmentPath(path, 2);
  assert.equal(second, join(path, '..', 'out-2.mp4'));
  assert.ok(existsSync(second));
  for (const [file, width, height, frameCount, seconds] of [
    [path, 320, 240, 45, 3],
    [second, 160, 120, 30, 2],
  ] as const) {
    const info = probe(file);
    const video = info.streams.find((stream) => stream.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    assert.deepEqual([video?.width, video?.height], [width, height], file);
    assert.equal(Number(video?.nb_read_frames), frameCount, file);
    assert.equal(info.streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac', file);
    const duration = Number(info.format.duration);
    assert.ok(Math.abs(duration - seconds) < 0.15, `${file}: duration ${duration}`);
  }
  // Audio only in the file whose video it goes with: no audio frame is lost, none is written twice.
  assert.equal(
    summary.audioFrames,
    frames.filter((frame) => frame.codec === Codec.AacAdts).length - summary.skippedBeforeKeyframe,
  );
});

test('live MP4 segment names: out.mp4, then out-2.mp4, out-3.mp4 (case of the extension kept)', () => {
  assert.equal(segmentPath('/a/out.mp4', 1), '/a/out.mp4');
  assert.equal(segmentPath('/a/out.mp4', 2), '/a/out-2.mp4');
  assert.equal(segmentPath('/a/CAM.MP4', 3), '/a/CAM-3.MP4');
});

/** NAL payloads of one type in an Annex B unit (test support: a start-code scan). */
function nalsOfType(unit: Uint8Array, type: number): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 < unit.length; i++)
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  return starts
    .map((start, index) => {
      let end = starts[index + 1] === undefined ? unit.length : starts[index + 1]! - 3;
      if (end > start && unit[end - 1] === 0 && starts[index + 1] !== undefined) end--;
      return unit.subarray(start, end);
    })
    .filter((nal) => ((nal[0] ?? 0) & 0x1f) === type);
}

test('a keyframe carrying stale SPS/PPS (320x240) before the camera’s new ones (160x120): the writer keeps only the new ones, whose decoder config says 160x120', async () => {
  const stale = mediaFixture({ seconds: 1, fps: FPS, width: 320, height: 240 }).video[0]!.data;
  const fresh = mediaFixture({ seconds: 2, fps: FPS, width: 160, height: 120 }).video[0]!.data;
  const code = [0, 0, 0, 1];
  const staleSets = [...nalsOfType(stale, 7), ...nalsOfType(stale, 8)].flatMap((nal) => [...code, ...nal]);
  // The stale sets right after the access unit delimiter, as the agent's dump_extra puts the SDP's.
  const aud = fresh.indexOf(0x09, 3) + 2;
  const unit = new Uint8Array([...fresh.subarray(0, aud), ...staleSets, ...fresh.subarray(aud)]);
  assert.equal(nalsOfType(unit, 7).length, 2, 'two SPS in the composed unit');
  assert.equal((await h264DecoderConfig(unit)).codedWidth, 320, 'the first SPS is the stale one');
  const cleaned = withoutReplacedParameterSets(unit);
  assert.equal(nalsOfType(cleaned, 7).length, 1);
  assert.equal(nalsOfType(cleaned, 8).length, 1);
  assert.deepEqual(parameterSets(cleaned), parameterSets(fresh));
  assert.deepEqual(parameterSets(unit), parameterSets(fresh), 'the sets in effect are the last ones');
  const config = await h264DecoderConfig(cleaned);
  assert.deepEqual([config.codedWidth, config.codedHeight], [160, 120]);
  assert.equal(cleaned.length, unit.length - staleSets.length);
  assert.deepEqual(
    withoutReplacedParameterSets(fresh),
    fresh,
    'a unit with one SPS and one PPS is unchanged',
  );
});

test('live MP4 starting at a cached keyframe 5 s older than the live frames after it: the audio is kept (the wait for it counts from the live frames) and stays in sync', async () => {
  const fixture = mediaFixture({ seconds: 8, fps: FPS, pattern: 'flash-beep' });
  const all = liveFrames(fixture);
  const keyframe = all.find((frame) => frame.codec === Codec.H264AnnexB)!;
  // The relay's cached keyframe, then the live stream from the next frame on, resumed 5 s later.
  const resumeUs = keyframe.capturedAtUs! + 1_000_000 / FPS;
  const live = all
    .filter((frame) => frame.capturedAtUs! >= resumeUs)
    .map((frame) => ({ ...frame, capturedAtUs: frame.capturedAtUs! + 5_000_000 }));
  const path = tempFile('cached-keyframe.mp4');
  const writer = new LiveMp4Writer(() => fileStream(path));
  for (const frame of [keyframe, ...live]) await writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.audioLeftOut, 0);
  assert.ok(summary.audioFrames > 300, `audio frames written: ${summary.audioFrames}`);
  assert.equal(probe(path).streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac');
  assertAvSync(path, { minFlashes: 6, boundMs: BOUND_MS });
});
