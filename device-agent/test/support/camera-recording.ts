import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AudioUnit,
  CameraFrame,
  CameraSource,
  JpegFrame,
  StillPicture,
  VideoUnit,
} from '../../src/camera/frame.js';

export interface Recording {
  /** The JPEG pictures (what a JPEG source delivers). */
  readonly frames: JpegFrame[];
  /** Everything delivered, in order (a passthrough source's units and stills too). */
  readonly all: CameraFrame[];
  /** Date.now() when each of `all` was delivered. */
  readonly deliveredAt: number[];
  readonly errors: Error[];
}

/** Starts the camera, collecting its frames and errors as they come (the caller stops it). */
export function record(camera: CameraSource): Recording {
  const recording: Recording = { frames: [], all: [], deliveredAt: [], errors: [] };
  camera.start(
    (frame) => {
      recording.all.push(frame);
      recording.deliveredAt.push(Date.now());
      if (frame.kind === undefined || frame.kind === 'jpeg') recording.frames.push(frame);
    },
    (error) => recording.errors.push(error),
  );
  return recording;
}

/** Records until `until` holds or `timeoutMs` passed, then stops the camera. */
export async function recordUntil(
  camera: CameraSource,
  until: (frames: JpegFrame[], errors: Error[]) => boolean,
  timeoutMs: number,
): Promise<Recording> {
  const recording = record(camera);
  try {
    const deadline = Date.now() + timeoutMs;
    while (!until(recording.frames, recording.errors) && Date.now() < deadline) await sleep(10);
  } finally {
    await camera.stop();
  }
  return recording;
}

/** Polls `condition` until it holds or `timeoutMs` passed (then fails, naming `what`). */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
  assert.ok(condition(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A passthrough source's H.264 units, stills and AAC units among what it delivered. */
export const unitsOf = (run: Recording) =>
  run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
export const stillsOf = (run: Recording) =>
  run.all.filter((frame): frame is StillPicture => frame.kind === 'still');
export const soundsOf = (run: Recording) =>
  run.all.filter((frame): frame is AudioUnit => frame.kind === 'aac');
