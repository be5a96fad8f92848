import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { JpegFrame } from '../src/camera/frame.js';
import { MjpegCamera, type MjpegCameraOptions } from '../src/camera/mjpeg.js';
import { MultipartParser } from '../src/camera/multipart-parser.js';
import { type Recording, recordUntil } from './support/camera-recording.js';
import { MjpegTestCamera, type MjpegTestCameraOptions, testJpegs } from './support/mjpeg-camera.js';

/**
 * Records until `until` holds, failing with `what` if it does not within the (generous) deadline: on
 * a busy machine frames and reconnections come later, not differently.
 */
async function run(
  options: MjpegCameraOptions,
  until: (frames: JpegFrame[], errors: Error[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<Recording & { camera: MjpegCamera }> {
  const camera = new MjpegCamera(options);
  const recording = await recordUntil(camera, until, timeoutMs);
  assert.ok(
    until(recording.frames, recording.errors),
    `timed out after ${timeoutMs} ms waiting for ${what}: ${recording.frames.length} frames, errors: ${recording.errors.map((e) => e.message).join('; ')}`,
  );
  return { ...recording, camera };
}

/** The served frames appear in order (a rotation of the served list, since frames loop). */
function assertServedInOrder(frames: JpegFrame[], served: Buffer[]): void {
  const first = served.findIndex((jpeg) => jpeg.equals(frames[0]!.jpeg));
  assert.ok(first >= 0, 'the first frame is one of the served JPEGs');
  frames.forEach((frame, i) => {
    const expected = served[(first + i) % served.length]!;
    assert.ok(Buffer.from(frame.jpeg).equals(expected), `frame ${i} is the served JPEG, byte for byte`);
  });
}

describe('MJPEG camera', () => {
  const servers: MjpegTestCamera[] = [];
  let jpegs: Buffer[] = [];

  before(async () => {
    jpegs = await testJpegs(3);
  });

  after(async () => {
    for (const server of servers) await server.stop();
  });

  async function serve(options: Partial<MjpegTestCameraOptions>) {
    const server = await MjpegTestCamera.start({ frames: jpegs, fps: 20, ...options });
    servers.push(server);
    return server;
  }

  for (const contentLength of [true, false]) {
    it(`delivers every part as a frame, ${contentLength ? 'with' : 'without'} Content-Length`, async () => {
      const server = await serve({ contentLength });
      const { frames, errors } = await run(
        { cameraId: 'mjpeg-1', url: server.url },
        (f) => f.length >= 7,
        '7 frames',
      );
      assert.deepEqual(errors, []);
      assert.ok(frames.length >= 7);
      assertServedInOrder(frames, jpegs);
      for (const frame of frames.slice(0, 3)) {
        const metadata = await sharp(frame.jpeg).metadata();
        assert.deepEqual([frame.width, frame.height], [metadata.width, metadata.height]);
        assert.equal(frame.cameraId, 'mjpeg-1');
      }
      for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.capturedAt >= frames[i - 1]!.capturedAt);
    });
  }

  it('accepts a boundary parameter that already starts with "--"', async () => {
    const server = await serve({ boundary: '--myboundary', contentLength: false });
    const { frames, errors } = await run(
      { cameraId: 'dashes', url: server.url },
      (f) => f.length >= 4,
      '4 frames',
    );
    assert.deepEqual(errors, []);
    assertServedInOrder(frames, jpegs);
  });

  it('reconnects after the camera drops the connection, reporting each drop', async () => {
    const server = await serve({ dropAfterFrames: 2 });
    const { frames, errors, camera } = await run(
      { cameraId: 'flaky', url: server.url, retryMinMs: 50, retryMaxMs: 200 },
      (f) => f.length >= 6,
      '6 frames over several connections',
    );
    assert.ok(frames.length >= 6, `${frames.length} frames`);
    assert.ok(camera.connections >= 3, `${camera.connections} connections`);
    assert.ok(server.connections >= 3);
    assert.ok(errors.length >= 2);
    for (const error of errors)
      assert.match(
        error.message,
        /^mjpeg camera flaky \(http:\/\/127\.0\.0\.1:\d+\/video\.mjpg\): .*reconnecting in/,
      );
  });

  it('reports a refused connection and retries with a growing delay', async () => {
    const server = await serve({});
    const url = server.url;
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    const { frames, errors } = await run(
      { cameraId: 'down', url, retryMinMs: 40, retryMaxMs: 160 },
      (_, e) => e.length >= 4,
      'four refusals',
    );
    assert.equal(frames.length, 0);
    assert.ok(errors.length >= 4);
    assert.match(errors[0]!.message, /ECONNREFUSED.*reconnecting in 40 ms/);
    assert.match(errors[3]!.message, /reconnecting in 160 ms/);
  });

  // A camera sending 40 fps, capped at 5: never faster than the cap, whatever the machine's speed
  // (how close to 5 fps it gets on an idle machine is not what this checks).
  it('caps the frame rate', async () => {
    const server = await serve({ fps: 40 });
    const started = Date.now();
    const { frames } = await run(
      { cameraId: 'capped', url: server.url, fps: 5 },
      (f) => f.length >= 6,
      '6 frames',
    );
    const elapsed = Date.now() - started;
    assert.ok(frames.length <= (elapsed / 1000) * 5 + 2, `${frames.length} frames in ${elapsed} ms`);
    // Each frame is let through at most a quarter interval before its slot (200 ms apart).
    const span = frames.at(-1)!.capturedAt - frames[0]!.capturedAt;
    assert.ok(span >= (frames.length - 2) * 200, `${frames.length} frames within ${span} ms: over 5 fps`);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.capturedAt >= frames[i - 1]!.capturedAt);
  });

  it('authenticates with the URL credentials and never shows them in errors', async () => {
    const credentials = { user: 'watcher', password: 'p@ss:word-42' };
    const server = await serve({ credentials });
    const withAuth = (password: string) =>
      server.url.replace('http://', `http://${credentials.user}:${encodeURIComponent(password)}@`);
    const good = await run(
      { cameraId: 'auth', url: withAuth(credentials.password) },
      (f) => f.length >= 2,
      '2 frames with the right credentials',
    );
    assert.deepEqual(good.errors, []);
    assert.ok(good.frames.length >= 2);

    const bad = await run(
      { cameraId: 'auth', url: withAuth('wrong-secret'), retryMinMs: 30 },
      (_, e) => e.length >= 2,
      'two refusals',
    );
    assert.ok(bad.errors.length >= 1);
    for (const error of bad.errors) {
      assert.match(error.message, /HTTP 401/);
      assert.doesNotMatch(error.message, /watcher|wrong-secret/);
      assert.match(error.message, /http:\/\/\*\*\*@127\.0\.0\.1/);
    }
  });

  it('stops after no data for the idle timeout and reconnects', async () => {
    const server = await serve({ fps: 0.5 }); // one frame right away, the next after 2 s
    const { errors, camera } = await run(
      { cameraId: 'idle', url: server.url, idleTimeoutMs: 300, retryMinMs: 50 },
      (_, e) => e.length >= 2,
      'two idle timeouts',
    );
    assert.match(errors[0]?.message ?? '', /no data for 300 ms; reconnecting/);
    assert.ok(camera.connections >= 2);
  });
});

describe('multipart parser', () => {
  it('parses parts cut at every byte, by length and by boundary, bounded by the part size', async () => {
    const parts = await testJpegs(2);
    for (const withLength of [true, false]) {
      const body = Buffer.concat(
        parts.flatMap((part) => [
          Buffer.from(
            `--b0undary\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${part.length}\r\n` : ''}\r\n`,
          ),
          part,
          Buffer.from('\r\n'),
        ]),
      );
      for (let cut = 0; cut <= body.length; cut++) {
        const out: Buffer[] = [];
        const parser = new MultipartParser('b0undary', {
          maxPartBytes: 4096,
          onPart: (p) => out.push(p),
          onError: (e) => assert.fail(e),
        });
        parser.push(body.subarray(0, cut));
        parser.push(body.subarray(cut));
        parser.push(Buffer.from('--b0undary\r\n'));
        assert.equal(out.length, 2, `cut ${cut}`);
        assert.ok(out[0]!.equals(parts[0]!) && out[1]!.equals(parts[1]!), `cut ${cut}`);
      }
    }
  });

  it('skips a part larger than the maximum with an error, holding at most about the maximum', () => {
    const errors: Error[] = [];
    const out: Buffer[] = [];
    const parser = new MultipartParser('x', {
      maxPartBytes: 1000,
      onPart: (p) => out.push(p),
      onError: (e) => errors.push(e),
    });
    const big = Buffer.alloc(50_000, 0x41);
    for (const withLength of [true, false]) {
      const header = `--x\r\n${withLength ? 'Content-Length: 50000\r\n' : ''}\r\n`;
      const stream = Buffer.concat([Buffer.from(header), big, Buffer.from('\r\n--x\r\n\r\nok\r\n--x\r\n')]);
      for (let i = 0; i < stream.length; i += 500) parser.push(stream.subarray(i, i + 500));
    }
    assert.equal(errors.length, 2);
    assert.deepEqual(
      out.map((p) => p.toString()),
      ['ok', 'ok'],
    );
    assert.ok(parser.capacity <= 64 * 1024 + 1000, `capacity ${parser.capacity}`);
  });
});
