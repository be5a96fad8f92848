import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAgent, type TestAgent, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { probe } from './support/media-probe.js';
import { pairCliViewer } from './support/paired-viewer.js';
import { runViewerCli } from './support/viewer-cli.js';

/** The viewer CLI against a real relay and a device agent whose camera sends H.264 + AAC (issue #15). */
requireProgram('ffmpeg');
let relay: TestRelay;
let agent: TestAgent;
let dir: string;
let state: string;
let deviceId: string;

before(async () => {
  relay = await startRelay();
  agent = createAgent(relay.base, [testCamera('cam-1', { codec: 'h264', audio: true })]);
  ({ dir, state, deviceId } = await pairCliViewer(agent, 'h264 test', 'sealcam-cli-h264-'));
});
after(async () => {
  await agent?.stop();
  await relay?.stop();
});

test('live --out file.mp4 from an H.264 camera: a fragmented MP4 ffprobe reads as H.264 + AAC, starting at a keyframe', async () => {
  const file = join(dir, 'live.mp4');
  const run = await runViewerCli(
    state,
    ['live', deviceId, 'cam-1', '--out', file, '--frames', '30'],
    180_000,
  );
  assert.equal(run.status, 0, run.stderr);
  const media = probe(file);
  const video = media.streams.find((stream) => stream.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(Number(video?.nb_read_frames), 30, 'every written frame decodes, from the first keyframe');
  assert.equal(media.streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac');
});

test("get --clip out.mp4: a motion event's clip from the H.264 camera is an MP4 ffprobe reads, with the record's frame count", async () => {
  type Listing = { events: { eventId: string }[] };
  const eventId = await until(
    async () => {
      const run = await runViewerCli(state, ['events', deviceId, '--json']);
      return (JSON.parse(run.stdout) as Listing).events[0]?.eventId ?? null;
    },
    180_000,
    'a motion event',
  );
  const clip = join(dir, 'clip.mp4');
  const got = await runViewerCli(state, ['get', deviceId, eventId, '--clip', clip, '--record']);
  assert.equal(got.status, 0, got.stderr);
  const record = (JSON.parse(got.stdout) as { record: { clip: { frames: number; type: string } } }).record;
  assert.equal(record.clip.type, 'video/mp4');
  const media = probe(clip);
  const video = media.streams.find((stream) => stream.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.ok(statSync(clip).size > 0);
  assert.equal(Number(video?.nb_read_frames), record.clip.frames, 'the signed record counts every frame');
  assert.equal(media.streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac');
  const wrongKind = await runViewerCli(state, ['get', deviceId, eventId, '--clip', join(dir, 'frames')]);
  assert.equal(wrongKind.status, 2, 'an MP4 clip asked for as a folder of JPEGs is refused');
});
