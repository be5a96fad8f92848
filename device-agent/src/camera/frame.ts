/**
 * What a camera delivers, in capture order:
 *  - a JpegFrame: a complete picture (MJPEG cameras, folders, the JPEG synthetic camera, an RTSP
 *    camera re-encoded to JPEG); sent live as codec 1 and recorded into JPEG clips;
 *  - a VideoUnit / AudioUnit: one unit of the camera's own H.264 / AAC bitstream, passed through
 *    unchanged (sent live as codecs 2 / 5, recorded into MP4 clips);
 *  - a StillPicture: a decoded picture at a low rate beside a passthrough stream, for motion
 *    detection and thumbnails only (never sent live).
 */
export type CameraFrame = JpegFrame | VideoUnit | AudioUnit | StillPicture;

/** One picture from a camera, already encoded. */
export interface JpegFrame {
  readonly kind?: 'jpeg';
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

/** One H.264 access unit from the camera's encoder, unchanged (protocol codec 2, PROTOCOL.md §6.7). */
export interface VideoUnit {
  readonly kind: 'h264';
  readonly cameraId: string;
  /** Capture time, Unix microseconds: the camera's presentation timestamps mapped to wall time. */
  readonly capturedAtUs: number;
  /** The same in milliseconds (for the clocks that count in ms: events, pre-roll). */
  readonly capturedAt: number;
  /** Annex B (start codes); an IDR access unit carries SPS and PPS before it. */
  readonly data: Uint8Array;
  /** Holds an IDR picture: a decoder can start here. */
  readonly keyframe: boolean;
  readonly width: number;
  readonly height: number;
  /** The WebCodecs / RFC 6381 codec string from the SPS, e.g. "avc1.64001f". */
  readonly codecString: string;
}

/** One AAC frame in ADTS form (protocol codec 5): the camera's own, or converted once from G.711. */
export interface AudioUnit {
  readonly kind: 'aac';
  readonly cameraId: string;
  readonly capturedAtUs: number;
  readonly capturedAt: number;
  /** One ADTS frame (header + raw AAC). */
  readonly data: Uint8Array;
  readonly sampleRate: number;
  readonly channels: number;
}

/** A decoded picture beside a passthrough stream (low rate): for motion and thumbnails, not for live. */
export interface StillPicture {
  readonly kind: 'still';
  readonly cameraId: string;
  /** Capture time of the picture, Unix milliseconds (on the same clock as the units). */
  readonly capturedAt: number;
  /** A JPEG of the picture at the camera's resolution (or the configured thumbnail size). */
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** A small greyscale copy for motion detection. */
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
