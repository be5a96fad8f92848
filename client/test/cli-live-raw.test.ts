import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Codec } from '@sealcam/protocol';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import { requireProgram } from '@sealcam/testkit/programs';
import { LiveOutputError } from '../src/cli/live-output-error.js';
import { RawStreamWriter } from '../src/cli/live-raw.js';
import { decodeFromPipe, liveFrames } from './support/media-probe.js';

/** The CLI's --stdout writer: its bytes, piped into a real ffmpeg as into `ffplay -`, decode. */
function collector() {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

test('--stdout of an H.264 camera joined mid-GOP: ffmpeg decodes the piped stream to 30 frames, audio left out', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const { out, bytes } = collector();
  const writer = new RawStreamWriter(out);
  for (const frame of liveFrames(fixture, { from: 10 })) writer.add(frame);
  const summary = await writer.close();
  assert.equal(summary.written, 30);
  assert.equal(summary.skippedBeforeKeyframe, 5);
  assert.ok(summary.audioLeftOut > 0, 'the fixture has audio');
  // Starts with the keyframe's access unit delimiter, as the fixture's unit 15 does.
  assert.deepEqual(bytes().subarray(0, 16), fixture.video[15]!.data.subarray(0, 16));
  assert.equal(await decodeFromPipe(bytes()), 30);
});

test('--stdout of a JPEG camera: the JPEGs back to back decode as MJPEG from a pipe, 12 frames', async () => {
  requireProgram('ffmpeg');
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-live-raw-'));
  const made = spawnSync(
    'ffmpeg',
    // biome-ignore format: option pairs read best one per line
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10',
      '-frames:v', '12', '-c:v', 'mjpeg', '-q:v', '5', join(dir, 'frame-%03d.jpg')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(made.status, 0, made.stderr);
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 12);
  const { out, bytes } = collector();
  const writer = new RawStreamWriter(out);
  for (const file of files)
    writer.add({ codec: Codec.Jpeg, data: readFileSync(join(dir, file)), keyframe: true });
  const summary = await writer.close();
  assert.equal(summary.written, 12);
  assert.equal(await decodeFromPipe(bytes()), 12);
});

test('--stdout refuses a codec change mid-stream with UNSUPPORTED_CODEC', () => {
  const { out } = collector();
  const writer = new RawStreamWriter(out);
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  writer.add({ codec: Codec.H264AnnexB, data: fixture.video[0]!.data, keyframe: true });
  assert.throws(
    () => writer.add({ codec: Codec.Jpeg, data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), keyframe: true }),
    (error: unknown) => error instanceof LiveOutputError && error.reason === 'UNSUPPORTED_CODEC',
  );
});

test('--stdout reports WRITE when the reader of the pipe has gone', async () => {
  const out = new PassThrough();
  const failures: string[] = [];
  const writer = new RawStreamWriter(out, (error) => failures.push(error.reason));
  out.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(failures, ['WRITE']);
  assert.throws(
    () => writer.add({ codec: Codec.Jpeg, data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), keyframe: true }),
    (error: unknown) => error instanceof LiveOutputError && error.reason === 'WRITE',
  );
});
