import { setTimeout as sleep } from 'node:timers/promises';
import type { CameraFrame, CameraSource } from '../../src/camera/frame.js';

export interface Recording {
  readonly frames: CameraFrame[];
  readonly errors: Error[];
}

/** Starts the camera, collecting its frames and errors as they come (the caller stops it). */
export function record(camera: CameraSource): Recording {
  const recording: Recording = { frames: [], errors: [] };
  camera.start(
    (frame) => recording.frames.push(frame),
    (error) => recording.errors.push(error),
  );
  return recording;
}

/** Records until `until` holds or `timeoutMs` passed, then stops the camera. */
export async function recordUntil(
  camera: CameraSource,
  until: (frames: CameraFrame[], errors: Error[]) => boolean,
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
