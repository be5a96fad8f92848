import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireProgram } from '@sealcam/testkit/programs';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import sharp from 'sharp';
import { ffmpegArguments, RtspCamera, type RtspCameraOptions } from '../src/camera/rtsp.js';
import { type Recording, record } from './support/camera-recording.js';

requireProgram('ffmpeg');

interface Run extends Recording {
  readonly camera: RtspCamera;
}

function startCamera(options: RtspCameraOptions): Run {
  const camera = new RtspCamera(options);
  return { camera, ...record(camera) };
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
  assert.ok(condition(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

// Concurrent: most of each test is ffmpeg probing the stream (seconds of waiting, little CPU).
describe('RTSP camera', { concurrency: true }, () => {
  let server: RtspTestCamera;
  const running: RtspCamera[] = [];

  before(async () => {
    server = await RtspTestCamera.start({ width: 320, height: 240, fps: 10 });
  });

  after(async () => {
    for (const camera of running) await camera.stop();
    await server?.stop();
  });

  function start(options: RtspCameraOptions): Run {
    const run = startCamera(options);
    running.push(run.camera);
    return run;
  }

  it('PLAYs the stream and delivers JPEG frames of the requested size; stop() ends ffmpeg', async () => {
    const { camera, frames, errors } = start({
      cameraId: 'rtsp-1',
      url: server.url(),
      fps: 5,
      width: 160,
      height: 120,
    });
    await waitUntil(() => frames.length >= 5, 60_000, '5 frames');
    assert.deepEqual(errors, []);
    assert.ok(server.plays >= 1, 'connected as a client and sent PLAY');
    for (const frame of frames.slice(0, 5)) {
      assert.equal(frame.cameraId, 'rtsp-1');
      assert.deepEqual([frame.width, frame.height], [160, 120]);
      const metadata = await sharp(frame.jpeg).metadata();
      assert.equal(metadata.format, 'jpeg');
      assert.deepEqual([metadata.width, metadata.height], [160, 120]);
      await sharp(frame.jpeg).raw().toBuffer(); // decodes completely
    }
    const pid = camera.pid;
    assert.ok(pid !== undefined && processExists(pid), 'ffmpeg is running');
    await camera.stop();
    assert.equal(processExists(pid), false, `ffmpeg ${pid} is gone after stop()`);
    assert.equal(camera.pid, undefined);
    const count = frames.length;
    await sleep(300);
    assert.equal(frames.length, count, 'no frame after stop()');
  });

  it('restarts ffmpeg when it dies, reporting how it exited', async () => {
    const { camera, frames, errors } = start({
      cameraId: 'rtsp-restart',
      url: server.url(),
      fps: 5,
      retryMinMs: 100,
    });
    await waitUntil(() => frames.length >= 1, 60_000, 'a first frame');
    const pid = camera.pid!;
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => errors.length >= 1, 30_000, 'the exit to be reported');
    assert.match(
      errors[0]!.message,
      /^rtsp camera rtsp-restart \(rtsp:\/\/127\.0\.0\.1:\d+\/live\): ffmpeg exited \(signal SIGKILL\)(; stderr: .*)?; retrying in 100 ms$/,
    );
    const before = frames.length;
    await waitUntil(() => frames.length >= before + 2, 60_000, 'frames from the restarted ffmpeg');
    assert.notEqual(camera.pid, pid);
    assert.equal(camera.starts, 2);
    await camera.stop();
    assert.equal(frames.at(-1)!.width, 320);
  });

  it('says clearly that ffmpeg is missing, and does not spin', async () => {
    const { camera, errors } = start({
      cameraId: 'no-ffmpeg',
      url: server.url(),
      ffmpegPath: '/nonexistent/bin/ffmpeg',
    });
    await waitUntil(() => errors.length >= 1, 30_000, 'an error');
    // No second attempt for 60 s: nothing more may come, however long we look.
    await sleep(300);
    await camera.stop();
    assert.equal(errors.length, 1);
    assert.equal(camera.starts, 1);
    assert.match(
      errors[0]!.message,
      /ffmpeg not found: install ffmpeg \(e\.g\. apt-get install ffmpeg\) or set ffmpegPath \(tried "\/nonexistent\/bin\/ffmpeg"\); retrying in 60 s$/,
    );
  });

  it('never shows URL credentials in errors, including ffmpeg’s own messages', async () => {
    const user = 'camuser';
    const password = 'sup3r-secret';
    const secured = await RtspTestCamera.start({
      width: 160,
      height: 120,
      fps: 5,
      credentials: { user, password },
    });
    try {
      const good = start({ cameraId: 'auth-ok', url: secured.url({ user, password }), fps: 5 });
      await waitUntil(() => good.frames.length >= 1, 60_000, 'a frame with the right credentials');
      await good.camera.stop();
      assert.deepEqual(good.errors, []);

      const bad = start({
        cameraId: 'auth-bad',
        url: secured.url({ user, password: 'wrong-password' }),
        retryMinMs: 50,
      });
      await waitUntil(() => bad.errors.length >= 2, 60_000, 'two failures');
      await bad.camera.stop();
      assert.equal(bad.frames.length, 0);
      for (const error of bad.errors) {
        assert.doesNotMatch(error.message, /camuser|wrong-password|sup3r-secret/);
        assert.match(error.message, /rtsp:\/\/\*\*\*@127\.0\.0\.1/);
        assert.match(error.message, /ffmpeg exited \(code \d+\); stderr: .*401/);
      }
    } finally {
      await secured.stop();
    }
    // An unreachable camera: ffmpeg's stderr names the URL, credentials and all.
    const down = start({
      cameraId: 'down',
      url: 'rtsp://admin:hunter2x@127.0.0.1:1/stream',
      retryMinMs: 5000,
    });
    await waitUntil(() => down.errors.length >= 1, 60_000, 'a connection failure');
    await down.camera.stop();
    assert.match(down.errors[0]!.message, /stderr: .*\S/);
    assert.doesNotMatch(down.errors[0]!.message, /admin|hunter2x/);
  });

  it('kills an ffmpeg that ignores SIGTERM after the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-fake-ffmpeg-'));
    try {
      const fake = join(dir, 'ffmpeg');
      const trapped = join(dir, 'trapped');
      // It says when its trap is in place (a fixed wait for that would race a busy machine); the
      // ignored SIGTERM is inherited by the sleep it becomes.
      writeFileSync(fake, `#!/bin/sh\ntrap '' TERM\n: > '${trapped}'\nexec sleep 120\n`, { mode: 0o755 });
      const { camera, errors } = start({
        cameraId: 'stubborn',
        url: 'rtsp://127.0.0.1:1/x',
        ffmpegPath: fake,
        stopGraceMs: 300,
      });
      await waitUntil(
        () => camera.pid !== undefined && existsSync(trapped),
        30_000,
        'the fake ffmpeg to start',
      );
      const pid = camera.pid!;
      const stopping = Date.now();
      await camera.stop();
      const took = Date.now() - stopping;
      // It waited the grace period, then killed: long before the stubborn process would have ended.
      assert.ok(took >= 250 && took < 60_000, `stop() took ${took} ms`);
      assert.equal(processExists(pid), false);
      assert.deepEqual(errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes the URL as one argument, without a shell', () => {
    const url = 'rtsp://u:p@cam.local/stream?a=1;rm -rf $HOME';
    const args = ffmpegArguments({ cameraId: 'x', url, fps: 7, width: 640 });
    assert.equal(args[args.indexOf('-i') + 1], url);
    assert.equal(args[args.indexOf('-vf') + 1], 'fps=7,scale=640:-2');
    assert.equal(args[args.indexOf('-rtsp_transport') + 1], 'tcp');
    assert.deepEqual(args.slice(-3), ['-f', 'image2pipe', 'pipe:1']);
  });
});
