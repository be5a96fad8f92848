import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireGstreamer, requireProgram } from '@sealcam/testkit/programs';
import { RtspTestCamera, type RtspTestCameraOptions } from '@sealcam/testkit/rtsp-camera';
import sharp from 'sharp';
import { NAL_IDR, NAL_PPS, NAL_SPS, nalUnits } from '../src/camera/annexb.js';
import type { CameraError } from '../src/camera/camera-error.js';
import { GST_ELEMENTS } from '../src/camera/gst-passthrough-args.js';
import { GSTREAMER_PACKAGES } from '../src/camera/passthrough-exit.js';
import { RtspPassthroughCamera, type RtspPassthroughOptions } from '../src/camera/rtsp-passthrough.js';
import {
  type Recording,
  record,
  soundsOf,
  stillsOf,
  unitsOf,
  waitUntil,
} from './support/camera-recording.js';
import { decodeAac, decodeH264 } from './support/h264-check.js';

requireProgram('ffmpeg');
requireProgram('ffprobe');
requireGstreamer(GST_ELEMENTS, GSTREAMER_PACKAGES);

const units = unitsOf;
const stills = stillsOf;
const sounds = soundsOf;

/** A test camera of its own and a passthrough camera on it; both stopped by `finish`. */
async function session(
  cameraOptions: RtspTestCameraOptions,
  options: Omit<RtspPassthroughOptions, 'url'>,
): Promise<{
  server: RtspTestCamera;
  camera: RtspPassthroughCamera;
  run: Recording;
  finish: () => Promise<void>;
}> {
  const server = await RtspTestCamera.start(cameraOptions);
  const camera = new RtspPassthroughCamera({ ...options, url: server.url() });
  const run = record(camera);
  return {
    server,
    camera,
    run,
    finish: async () => {
      await camera.stop();
      await server.stop();
    },
  };
}

/** Waits until no unit has come for `quietMs` (bounded), then returns the units since the latest keyframe. */
async function unitsSinceKeyframeWhenQuiet(run: Recording, quietMs: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let count = units(run).length;
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await sleep(50);
    if (units(run).length !== count) {
      count = units(run).length;
      since = Date.now();
    }
  }
  assert.ok(Date.now() - since >= quietMs, 'the units stopped coming');
  const got = units(run);
  let lastKey = got.length - 1;
  while (lastKey > 0 && !got[lastKey]!.keyframe) lastKey--;
  return got.length - lastKey;
}

describe('RTSP passthrough camera, client "gstreamer"', { concurrency: true }, () => {
  it('delivers access units from a keyframe with SPS/PPS in band, a keyframe every GOP 1 s apart, strictly increasing capture times, all decodable', async () => {
    const s = await session(
      { width: 320, height: 240, fps: 10 },
      { cameraId: 'gst-1', client: 'gstreamer', stills: 'off' },
    );
    try {
      await waitUntil(() => units(s.run).length >= 35, 60_000, '35 units');
      await s.camera.stop();
      assert.deepEqual(s.run.errors, []);
      const got = units(s.run);
      const firstTypes = nalUnits(got[0]!.data).map((nal) => nal.type);
      for (const type of [NAL_SPS, NAL_PPS, NAL_IDR])
        assert.ok(firstTypes.includes(type), `NAL type ${type} in the first unit`);
      const keyIndexes = got.flatMap((unit, index) => (unit.keyframe ? [index] : []));
      assert.ok(keyIndexes.length >= 3, `${keyIndexes.length} keyframes`);
      for (let k = 1; k < keyIndexes.length; k++) {
        assert.equal(keyIndexes[k]! - keyIndexes[k - 1]!, 10, 'a keyframe every 10 units (the GOP)');
        const seconds = (got[keyIndexes[k]!]!.capturedAtUs - got[keyIndexes[k - 1]!]!.capturedAtUs) / 1e6;
        assert.ok(
          Math.abs(seconds - 1) < 0.05,
          `keyframes 1 s apart on the camera's clock, got ${seconds} s`,
        );
      }
      for (const unit of got) {
        assert.deepEqual([unit.width, unit.height], [320, 240]);
        assert.match(unit.codecString, /^avc1\.[0-9a-f]{6}$/);
        if (unit.keyframe) {
          const types = nalUnits(unit.data).map((nal) => nal.type);
          assert.ok(types.includes(NAL_SPS) && types.includes(NAL_PPS), 'SPS and PPS before every keyframe');
        }
      }
      for (let i = 1; i < got.length; i++)
        assert.ok(got[i]!.capturedAtUs > got[i - 1]!.capturedAtUs, 'strictly increasing');
      assert.ok(Math.abs(got[0]!.capturedAtUs / 1000 - Date.now()) < 120_000, 'wall-clock capture times');
      const decoded = decodeH264(Buffer.concat(got.map((unit) => unit.data)));
      assert.equal(decoded.frames, got.length, `every unit decodes (${decoded.errors})`);
    } finally {
      await s.finish();
    }
  });

  it('delivers every unit whose last RTP packet (the marker) has come, without waiting for the next unit; the ffmpeg client holds the last one back', async () => {
    const options = { stills: 'off', stallTimeoutMs: 120_000 } as const;
    const gst = await session(
      { width: 320, height: 240, fps: 10 },
      { ...options, cameraId: 'gst-marker', client: 'gstreamer' },
    );
    const ff = await session(
      { width: 320, height: 240, fps: 10 },
      { ...options, cameraId: 'ff-marker', client: 'ffmpeg' },
    );
    try {
      await waitUntil(
        () => units(gst.run).length >= 15 && units(ff.run).length >= 15,
        60_000,
        '15 units from each',
      );
      // The cameras stop sending at some packet: a unit cut short has no marker, and counts for neither.
      gst.server.paused = true;
      ff.server.paused = true;
      const gstCount = await unitsSinceKeyframeWhenQuiet(gst.run, 1500);
      const ffCount = await unitsSinceKeyframeWhenQuiet(ff.run, 1500);
      assert.deepEqual([gst.run.errors, ff.run.errors], [[], []]);
      assert.equal(gstCount, gst.server.unitsSinceKeyframe, 'gstreamer: every whole unit sent was delivered');
      // ffmpeg's parser ends a unit only at the next one's first packet: the last whole one waits.
      const sent = ff.server.unitsSinceKeyframe;
      assert.equal(ffCount, sent >= 2 ? sent - 1 : 10, `ffmpeg: one unit held back (camera sent ${sent})`);
    } finally {
      await gst.finish();
      await ff.finish();
    }
  });

  it('decodes keyframes into stills at their keyframe’s capture time, at the picture’s own size when it is under stillWidth', async () => {
    const s = await session(
      { width: 320, height: 240, fps: 10 },
      { cameraId: 'gst-stills', client: 'gstreamer' },
    );
    try {
      await waitUntil(() => stills(s.run).length >= 3, 60_000, '3 stills');
      await s.camera.stop();
      assert.deepEqual(s.run.errors, []);
      const keyTimes = new Set(
        units(s.run)
          .filter((unit) => unit.keyframe)
          .map((unit) => unit.capturedAt),
      );
      for (const still of stills(s.run).slice(0, 3)) {
        assert.ok(
          keyTimes.has(still.capturedAt),
          'a still is the picture of a keyframe, on the units’ clock',
        );
        const metadata = await sharp(still.jpeg).metadata();
        assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 320, 240]);
        assert.deepEqual([still.luma?.width, still.luma?.height], [64, 36]);
        const luma = still.luma!.data;
        assert.ok(Math.max(...luma) - Math.min(...luma) > 50, 'the luma shows the picture');
      }
    } finally {
      await s.finish();
    }
  });

  for (const audio of ['aac', 'pcmu'] as const) {
    it(`passes ${audio === 'aac' ? 'AAC through' : 'G.711 µ-law converted once to AAC'} as ADTS units that ffprobe decodes, on one timeline with the video (first units within 1 s; to a frame: clip-av-sync)`, async () => {
      const s = await session(
        { width: 160, height: 120, fps: 10, audio },
        { cameraId: `gst-${audio}`, client: 'gstreamer', stills: 'off' },
      );
      try {
        await waitUntil(
          () => units(s.run).length >= 25 && sounds(s.run).length >= 20,
          60_000,
          'video and audio',
        );
        await s.camera.stop();
        assert.deepEqual(s.run.errors, []);
        const sound = sounds(s.run);
        for (const unit of sound)
          assert.deepEqual([unit.sampleRate, unit.channels], [audio === 'aac' ? 48000 : 8000, 1]);
        const decoded = decodeAac(Buffer.concat(sound.map((unit) => unit.data)));
        assert.equal(decoded.codec, 'aac');
        assert.equal(decoded.frames, sound.length, decoded.errors);
        for (let i = 1; i < sound.length; i++) assert.ok(sound[i]!.capturedAtUs > sound[i - 1]!.capturedAtUs);
        const offset = Math.abs(sound[0]!.capturedAtUs - units(s.run)[0]!.capturedAtUs) / 1000;
        assert.ok(offset < 1000, `audio and video on the same clock (first units ${offset} ms apart)`);
      } finally {
        await s.finish();
      }
    });
  }

  it('restarts with stream-changed when the resolution changes mid-stream; the new stream starts at a keyframe and decodes', async () => {
    const s = await session(
      { width: 320, height: 240, fps: 10 },
      { cameraId: 'gst-resize', client: 'gstreamer', stills: 'off', retryMinMs: 200 },
    );
    try {
      await waitUntil(() => units(s.run).length >= 15, 60_000, 'units at 320x240');
      await s.server.changeResolution(160, 120);
      const after = () => units(s.run).filter((unit) => unit.width === 160);
      await waitUntil(() => after().length >= 15, 60_000, 'units at 160x120');
      await s.camera.stop();
      assert.equal(s.run.errors.length, 1, s.run.errors.map((error) => error.message).join('\n'));
      assert.equal((s.run.errors[0] as CameraError).reason, 'stream-changed');
      assert.equal(after()[0]!.keyframe, true);
      assert.ok(
        units(s.run).every((unit) => [320, 160].includes(unit.width)),
        'never rescaled',
      );
      const decoded = decodeH264(Buffer.concat(after().map((unit) => unit.data)));
      assert.equal(decoded.frames, after().length, `the new stream decodes on its own (${decoded.errors})`);
    } finally {
      await s.finish();
    }
  });

  it('refuses an H.265 camera with reason unsupported-codec, naming H.265, with either client, and waits minutes', async () => {
    const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10, videoCodec: 'h265' });
    const runs = (['ffmpeg', 'gstreamer'] as const).map((client) => {
      const camera = new RtspPassthroughCamera({
        cameraId: `hevc-${client}`,
        client,
        url: server.url(),
        stills: 'off',
      });
      return { client, camera, run: record(camera) };
    });
    try {
      await waitUntil(
        () => runs.every(({ run }) => run.errors.length >= 1),
        60_000,
        'a refusal from each client',
      );
      for (const { client, camera, run } of runs) {
        await camera.stop();
        const error = run.errors[0] as CameraError;
        assert.equal(error.reason, 'unsupported-codec', `${client}: ${error.message}`);
        assert.match(error.message, /(H\.265|hevc).*passthrough takes H\.264 only/i, client);
        assert.equal(error.retryInMs, 300_000, client);
        assert.equal(units(run).length, 0, `${client}: nothing delivered`);
      }
    } finally {
      for (const { camera } of runs) await camera.stop();
      await server.stop();
    }
  });

  it('says “authentication failed” once on a wrong password, waits minutes, and never shows the credentials', async () => {
    const user = 'camuser';
    const password = 'sup3r-secret';
    const server = await RtspTestCamera.start({
      width: 160,
      height: 120,
      fps: 5,
      credentials: { user, password },
    });
    const camera = new RtspPassthroughCamera({
      cameraId: 'gst-auth',
      client: 'gstreamer',
      url: server.url({ user, password: 'wrong-password' }),
      retryMinMs: 50,
    });
    try {
      const run = record(camera);
      await waitUntil(() => run.errors.length >= 1, 60_000, 'the failure');
      await sleep(3000); // a 50 ms backoff would have retried many times by now
      await camera.stop();
      assert.equal(camera.starts, 1, 'one attempt only');
      assert.equal(run.errors.length, 1);
      const error = run.errors[0] as CameraError;
      assert.equal(error.reason, 'auth-failed');
      assert.equal(error.retryInMs, 300_000);
      assert.match(error.message, /authentication failed .*; retrying in 5 min$/);
      assert.doesNotMatch(error.message, /camuser|wrong-password|sup3r-secret/);
    } finally {
      await camera.stop();
      await server.stop();
    }
  });

  it('says clearly that gst-launch-1.0 is missing, with reason gstreamer-missing and the packages to install', async () => {
    const camera = new RtspPassthroughCamera({
      cameraId: 'no-gst',
      client: 'gstreamer',
      url: 'rtsp://127.0.0.1:1/none',
      gstLaunchPath: '/nonexistent/bin/gst-launch-1.0',
    });
    const run = record(camera);
    await waitUntil(() => run.errors.length >= 1, 30_000, 'an error');
    await camera.stop();
    assert.equal((run.errors[0] as CameraError).reason, 'gstreamer-missing');
    assert.match(
      run.errors[0]!.message,
      /gst-launch-1\.0 not found: install GStreamer \(.*gstreamer1\.0-plugins-bad.*\)/,
    );
  });

  it('an Opus camera: "auto" moves it to ffmpeg at once (its audio converted to AAC); "gstreamer" says so once and keeps the video', async () => {
    const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10, audio: 'opus' });
    const auto = new RtspPassthroughCamera({ cameraId: 'opus-auto', url: server.url(), stills: 'off' });
    const gst = new RtspPassthroughCamera({
      cameraId: 'opus-gst',
      url: server.url(),
      stills: 'off',
      client: 'gstreamer',
    });
    const autoRun = record(auto);
    const gstRun = record(gst);
    try {
      assert.equal(auto.client.name, 'gstreamer', 'auto starts with GStreamer');
      await waitUntil(
        () => sounds(autoRun).length >= 10 && units(gstRun).length >= 30,
        90_000,
        'AAC from the auto camera, 30 units from the gstreamer one',
      );
      await auto.stop();
      await gst.stop();
      assert.deepEqual(auto.client, {
        name: 'ffmpeg',
        why: "auto: the camera's audio is in a codec only ffmpeg converts",
      });
      assert.equal(autoRun.errors.length, 1, autoRun.errors.map((e) => e.message).join('\n'));
      assert.match(
        autoRun.errors[0]!.message,
        /audio in a codec the GStreamer client does not take.*switching this camera to the ffmpeg client/,
      );
      // One GStreamer start, then ffmpeg (which starts once more to settle its audio plan: copy, then convert).
      assert.equal(auto.starts, 3);
      assert.equal(decodeAac(Buffer.concat(sounds(autoRun).map((u) => u.data))).codec, 'aac');
      assert.equal(gstRun.errors.length, 1, 'said once');
      assert.equal((gstRun.errors[0] as CameraError).reason, 'unsupported-codec');
      assert.equal(gst.starts, 1, 'the video goes on');
      assert.equal(sounds(gstRun).length, 0);
    } finally {
      await auto.stop();
      await gst.stop();
      await server.stop();
    }
  });

  it('"auto" moves a camera to ffmpeg at once when this GStreamer refuses the pipeline (an older release), and never repeats the credentials it quotes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-gst-old-'));
    const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10 });
    try {
      const inspect = execFileSync('sh', ['-c', 'command -v gst-inspect-1.0'], { encoding: 'utf8' }).trim();
      symlinkSync(inspect, join(dir, 'gst-inspect-1.0'));
      // What gst-launch of a release without rtspsrc's buffer-mode says (quoting the location), then its exit.
      writeFileSync(
        join(dir, 'gst-launch-1.0'),
        [
          '#!/bin/sh',
          'for a do case "$a" in location=*) location="$a";; esac; done',
          'echo "WARNING: erroneous pipeline: no property \\"buffer-mode\\" in element \\"src\\" ($location)" >&2',
          'exit 1',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const camera = new RtspPassthroughCamera({
        cameraId: 'old-gst',
        url: server.url({ user: 'camuser', password: 'sup3r-secret' }),
        stills: 'off',
        gstLaunchPath: join(dir, 'gst-launch-1.0'),
      });
      const run = record(camera);
      try {
        assert.equal(camera.client.name, 'gstreamer');
        await waitUntil(() => units(run).length >= 10, 60_000, 'units from ffmpeg');
        await camera.stop();
        assert.equal(camera.client.name, 'ffmpeg');
        assert.match(
          camera.client.why,
          /^auto: GStreamer refused the pipeline \(erroneous pipeline: no property "buffer-mode"/,
        );
        assert.equal(run.errors.length, 1);
        assert.match(run.errors[0]!.message, /switching this camera to the ffmpeg client/);
        // One gst-launch start, then ffmpeg (once more to settle its audio plan: no audio track).
        assert.equal(camera.starts, 3);
        assert.match(
          camera.client.why,
          /\(location=rtsp:\/\/\*\*\*@127\.0\.0\.1:\d+\/live\)\)$/,
          'the location was quoted',
        );
        for (const text of [camera.client.why, run.errors[0]!.message])
          assert.doesNotMatch(text, /camuser|sup3r-secret/, 'the quoted location is redacted');
      } finally {
        await camera.stop();
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a URL with characters that must be percent-encoded; percent-encoded credentials reach the camera exactly', async () => {
    for (const url of [
      'rtsp://u:pa ss@127.0.0.1:1/x',
      'rtsp://u:p\tw@127.0.0.1:1/x',
      'rtsp://u:p"w@127.0.0.1:1/x',
      'rtsp://u:p\\w@127.0.0.1:1/x',
    ])
      assert.throws(
        () => new RtspPassthroughCamera({ cameraId: 'bad-url', url }),
        /which a URL must percent-encode/,
      );
    const user = 'cam user';
    const password = 'p@ss:w rd!$&()*+,;="x';
    const server = await RtspTestCamera.start({
      width: 160,
      height: 120,
      fps: 5,
      credentials: { user, password },
    });
    const url = server.url({ user, password }); // percent-encoded (encodeURIComponent)
    const camera = new RtspPassthroughCamera({ cameraId: 'pct', client: 'gstreamer', url, stills: 'off' });
    const run = record(camera);
    try {
      await waitUntil(() => units(run).length >= 5 || run.errors.length > 0, 60_000, 'units or an error');
      await camera.stop();
      assert.deepEqual(
        run.errors.map((e) => e.message),
        [],
      );
      assert.ok(units(run).length >= 5);
    } finally {
      await camera.stop();
      await server.stop();
    }
  });

  it('client "auto" (the default) takes GStreamer when it and every element are installed, else ffmpeg, and says why', () => {
    const url = 'rtsp://127.0.0.1:1/main';
    const chosen = (options: Partial<RtspPassthroughOptions>) =>
      new RtspPassthroughCamera({ cameraId: 'auto', url, ...options }).client;
    assert.deepEqual(chosen({}), { name: 'gstreamer', why: 'auto: GStreamer is installed' });
    assert.deepEqual(chosen({ client: 'ffmpeg' }), { name: 'ffmpeg', why: 'configured' });
    assert.deepEqual(chosen({ substream: 'rtsp://127.0.0.1:1/sub' }), {
      name: 'ffmpeg',
      why: 'auto: a substream or stills "decode" needs ffmpeg',
    });
    assert.deepEqual(chosen({ url: 'rtsps://127.0.0.1:1/main' }), {
      name: 'ffmpeg',
      why: 'auto: rtsps:// stays with ffmpeg',
    });
    assert.deepEqual(chosen({ transport: 'udp' }), {
      name: 'ffmpeg',
      why: 'auto: transport "udp" stays with ffmpeg',
    });
    assert.deepEqual(chosen({ ffmpegPath: 'ffmpeg' }), { name: 'ffmpeg', why: 'auto: ffmpegPath is set' });
    assert.deepEqual(chosen({ gstLaunchPath: '/nonexistent/bin/gst-launch-1.0' }), {
      name: 'ffmpeg',
      why: 'auto: GStreamer not usable (/nonexistent/bin/gst-launch-1.0 not found)',
    });
    // A GStreamer without the bad plugins (gdppay): the real programs, one element hidden.
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-gst-partial-'));
    try {
      symlinkSync(
        execFileSync('sh', ['-c', 'command -v gst-launch-1.0'], { encoding: 'utf8' }).trim(),
        join(dir, 'gst-launch-1.0'),
      );
      const inspect = execFileSync('sh', ['-c', 'command -v gst-inspect-1.0'], { encoding: 'utf8' }).trim();
      writeFileSync(
        join(dir, 'gst-inspect-1.0'),
        `#!/bin/sh\n[ "$2" = gdppay ] && exit 1\nexec ${inspect} "$@"\n`,
        { mode: 0o755 },
      );
      assert.deepEqual(chosen({ gstLaunchPath: join(dir, 'gst-launch-1.0') }), {
        name: 'ffmpeg',
        why: 'auto: GStreamer not usable (element gdppay missing)',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a substream or stills "decode" with client "gstreamer", naming the ffmpeg client', () => {
    for (const extra of [{ substream: 'rtsp://127.0.0.1:1/sub' }, { stills: 'decode' as const }])
      assert.throws(
        () =>
          new RtspPassthroughCamera({
            cameraId: 'gst-x',
            url: 'rtsp://127.0.0.1:1/main',
            client: 'gstreamer',
            ...extra,
          }),
        /client "gstreamer" takes stills from keyframes only .*use client "ffmpeg"/,
      );
  });
});
