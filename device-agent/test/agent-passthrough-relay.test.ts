import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLIP_MP4_TYPE, Codec, decodeMediaPayload, ready } from '@sealcam/protocol';
import { agentDir, pairViewer, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import sharp from 'sharp';
import { Agent } from '../src/agent.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { passthroughTake, ReplaySource } from './support/passthrough-units.js';
import { TestViewer } from './support/test-viewer.js';

let relay: TestRelay;
before(async () => {
  await ready();
  requireProgram('ffprobe', 'ffmpeg');
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

test('a passthrough camera through a real relay: the viewer opens H.264 and AAC live frames unchanged, and a motion event as an MP4 clip ffprobe reads', async () => {
  const dir = agentDir(relay.base, {
    cameras: [
      testCamera('cam-1', {
        clip: { preRollSeconds: 1, postRollSeconds: 1 },
      }),
    ],
  });
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);

  // The camera's units start now, after the pairing (a clip is only sealed for viewers paired before it).
  const take = await passthroughTake({
    seconds: 8,
    gop: 15,
    fps: 15,
    t0Us: (Date.now() + 1000) * 1000,
    moving: (ms) => ms >= 4000 && ms < 5000,
  });
  const byTime = new Map(take.video.map((unit) => [unit.capturedAtUs, unit]));
  const audioTimes = new Set(take.audio.map((unit) => unit.capturedAtUs));
  // Paced so that the 8 s take lasts several seconds: the viewer joins while it plays.
  const source = new ReplaySource('cam-1', take.frames, 2, 40);
  const config = loadConfig({ stateDir: dir.stateDir, env: {} });
  const agent = await Agent.start(config, silentLogger, { createSource: () => source });
  try {
    const live = await viewer.watchLiveUntil(
      'cam-1',
      (watch) => watch.opened.filter((f) => f.codec === Codec.H264AnnexB).length >= 20,
      '20 H.264 live frames',
    );
    assert.deepEqual(live.rejected, [], 'every live message opens');
    const video = live.opened.filter((f) => f.codec === Codec.H264AnnexB);
    const audio = live.opened.filter((f) => f.codec === Codec.AacAdts);
    assert.ok(video[0]!.keyframe, 'a late joiner starts at the keyframe the relay kept');
    for (const frame of video) {
      const media = decodeMediaPayload(frame.payload);
      const unit = byTime.get(media.capturedAtUs);
      assert.ok(unit, 'the capture time is one of the camera units');
      assert.equal(frame.keyframe, unit.keyframe, 'keyframe flag exactly on IDR units');
      assert.deepEqual(Buffer.from(media.unit), Buffer.from(unit.data), 'the access unit is unchanged');
    }
    assert.ok(audio.length > 0, 'audio frames arrive too');
    for (const frame of audio) {
      assert.equal(frame.keyframe, false);
      assert.ok(audioTimes.has(decodeMediaPayload(frame.payload).capturedAtUs));
    }
    assert.ok(
      live.opened.every((f) => f.codec === Codec.H264AnnexB || f.codec === Codec.AacAdts),
      'no JPEG and no still is sent live',
    );

    const events = await until(
      async () => {
        const list = await viewer.listEvents();
        return list.length >= 1 ? list : null;
      },
      60_000,
      'a motion event at the relay',
    );
    const opened = await viewer.openEvent(events[0]!.eventId);
    assert.equal(opened.record.clip?.type, CLIP_MP4_TYPE);
    assert.equal(opened.record.clip?.codec, Codec.H264AnnexB);
    assert.equal((await sharp(opened.thumbnail!).metadata()).format, 'jpeg');
    assert.ok(opened.mp4);
    const probeDir = mkdtempSync(join(tmpdir(), 'sealcam-agent-clip-'));
    try {
      const file = join(probeDir, 'clip.mp4');
      writeFileSync(file, opened.mp4);
      const probe = spawnSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-count_frames',
          '-show_entries',
          'stream=codec_type,codec_name,nb_read_frames',
          '-of',
          'json',
          file,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(probe.status, 0, probe.stderr);
      const streams = (
        JSON.parse(probe.stdout) as {
          streams: { codec_type: string; codec_name: string; nb_read_frames: string }[];
        }
      ).streams;
      const videoStream = streams.find((s) => s.codec_type === 'video');
      assert.equal(videoStream?.codec_name, 'h264');
      assert.equal(Number(videoStream?.nb_read_frames), opened.record.clip?.frames);
      assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
    } finally {
      rmSync(probeDir, { recursive: true, force: true });
    }
    const status = agent.status().cameras[0]!;
    assert.ok(status.frames > 0 && status.framesSent > 0);
  } finally {
    await agent.stop();
  }
});
