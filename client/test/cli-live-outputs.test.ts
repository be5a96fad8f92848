import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAgent, type TestAgent } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { decodeFromPipe } from './support/media-probe.js';
import { pairCliViewer } from './support/paired-viewer.js';
import { runViewerCli, VIEWER_CLI } from './support/viewer-cli.js';

/**
 * The CLI's live outputs end to end with a JPEG camera (the agent's synthetic camera, a real relay,
 * the CLI as a child process): --stdout is MJPEG a real ffmpeg decodes from the pipe, and the MP4
 * outputs refuse JPEG clearly. (The H.264 path of the same modules: cli-live-mp4, cli-live-raw.)
 */
let relay: TestRelay;
let agent: TestAgent;
let dir: string;
let state: string;
let deviceId: string;

before(async () => {
  relay = await startRelay();
  agent = createAgent(relay.base);
  ({ dir, state, deviceId } = await pairCliViewer(agent, 'outputs test', 'sealcam-cli-live-outputs-'));
});
after(async () => {
  await agent?.stop();
  await relay?.stop();
});

/** The CLI with stdout kept as bytes (the video), stderr as text. */
function runBinary(args: string[], timeoutMs = 120_000) {
  const child = spawn(process.execPath, [VIEWER_CLI, '--state', state, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => out.push(data));
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr });
    });
  });
}

test('live --stdout of a JPEG camera: only JPEG bytes on stdout, ffmpeg decodes 12 MJPEG frames from the pipe, summary on stderr', async () => {
  const run = await runBinary(['live', deviceId, 'cam-1', '--stdout', '--frames', '12', '--seconds', '120']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual([...run.stdout.subarray(0, 3)], [0xff, 0xd8, 0xff], 'stdout starts with a JPEG');
  assert.deepEqual([...run.stdout.subarray(-2)], [0xff, 0xd9], 'stdout ends with a whole JPEG');
  // A loaded machine may add the freshness line (the relay's cached keyframe can be seconds old).
  assert.match(
    run.stderr,
    /^12 verified frames \(12 pictures\) written to stdout in .*rejected 0\n(freshness: [^\n]*\n)?$/,
  );
  assert.equal(await decodeFromPipe(run.stdout), 12);
});

test('live --out file.mp4 with a JPEG camera: exit 2, says to give a directory, no file written', async () => {
  const path = join(dir, 'jpeg-camera.mp4');
  const run = await runViewerCli(state, ['live', deviceId, 'cam-1', '--out', path, '--seconds', '120']);
  assert.equal(run.status, 2, run.stderr);
  assert.match(
    run.stderr,
    /this camera sends JPEG pictures, not H\.264: give --out a directory for the JPEGs/,
  );
  assert.equal(existsSync(path), false);
});

test('get --clip file.mp4 of a JPEG clip: exit 2, says the clip is JPEG pictures, nothing written', async () => {
  type Listing = { events: { eventId: string }[] };
  const listing = await until(
    async () => {
      const run = await runViewerCli(state, ['events', deviceId, '--json']);
      const parsed = JSON.parse(run.stdout) as Listing;
      return parsed.events.length >= 1 ? parsed : null;
    },
    90_000,
    'an event with a clip',
  );
  const eventId = listing.events[0]?.eventId ?? '';
  const path = join(dir, 'clip.mp4');
  const run = await runViewerCli(state, ['get', deviceId, eventId, '--clip', path]);
  assert.equal(run.status, 2, run.stderr);
  assert.match(
    run.stderr,
    /^viewer: this event's clip is JPEG pictures \(application\/x-sealcam-mjpeg\), not an MP4: give --clip a directory for its frames\n$/,
  );
  assert.equal(existsSync(path), false);
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.endsWith('.mp4')),
    [],
  );
});
