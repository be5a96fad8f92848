/** One picture from a camera, already encoded. */
export interface CameraFrame {
  /** The camera's id; also the stream id on the relay, so it follows the protocol's stream id grammar (StreamId). */
  readonly cameraId: string;
  /** Capture time, Unix milliseconds. */
  readonly capturedAt: number;
  /** A complete JPEG image (protocol codec 1). */
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /**
   * A small greyscale copy for motion detection, when the source has one for free (the synthetic
   * source renders raw pixels first). Otherwise the detector decodes the JPEG itself.
   */
  readonly luma?: LumaImage;
}

/** 8-bit greyscale pixels, row-major, `data.length === width * height`. */
export interface LumaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * A running camera. `start` begins delivering frames to `onFrame` (never concurrently, in capture
 * order) and failures to `onError`; a source recovers from transient failures by itself (restarting
 * its process or connection with a delay) and reports each one. `stop` ends delivery and releases
 * every process, socket and timer; no callback runs after it resolves.
 */
export interface CameraSource {
  readonly cameraId: string;
  start(onFrame: (frame: CameraFrame) => void, onError: (error: Error) => void): void;
  stop(): Promise<void>;
}
