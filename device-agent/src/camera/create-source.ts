import { FolderCamera, type FolderCameraOptions } from './folder.js';
import type { CameraSource } from './frame.js';
import { MjpegCamera, type MjpegCameraOptions } from './mjpeg.js';
import { RtspCamera, type RtspCameraOptions } from './rtsp.js';
import { RtspPassthroughCamera, type RtspPassthroughOptions } from './rtsp-passthrough.js';
import { SyntheticCamera, type SyntheticCameraOptions } from './synthetic.js';
import { SyntheticH264Camera, type SyntheticH264CameraOptions } from './synthetic-h264.js';

/** A source's options as configuration data: `id` instead of `cameraId`, and no functions. */
type SourceConfig<Source extends string, Options extends { cameraId: string }> = {
  readonly source: Source;
  /** The camera's id; also its stream id on the relay, so it follows the protocol's stream id grammar (StreamId). */
  readonly id: string;
} & Omit<Options, 'cameraId' | 'now'>;

/** `codec: 'h264'` encodes the synthetic picture with ffmpeg (JPEG fallback without ffmpeg). */
export type SyntheticSourceConfig =
  | SourceConfig<'synthetic', SyntheticCameraOptions & { readonly codec?: 'jpeg' }>
  | SourceConfig<'synthetic', SyntheticH264CameraOptions & { readonly codec: 'h264' }>;
export type FolderSourceConfig = SourceConfig<'folder', FolderCameraOptions>;
export type MjpegSourceConfig = SourceConfig<'mjpeg', MjpegCameraOptions>;
/** An RTSP camera: H.264 passed through (the default), or `mode: 'mjpeg'` decoded and re-encoded to JPEG. */
export type RtspSourceConfig =
  | SourceConfig<'rtsp', RtspPassthroughOptions & { readonly mode?: 'passthrough' }>
  | SourceConfig<'rtsp', RtspCameraOptions & { readonly mode: 'mjpeg' }>;

export type CameraSourceConfig =
  | SyntheticSourceConfig
  | FolderSourceConfig
  | MjpegSourceConfig
  | RtspSourceConfig;

export function createCameraSource(config: CameraSourceConfig): CameraSource {
  switch (config.source) {
    case 'synthetic': {
      if (config.codec === 'h264') {
        const { source, id, codec, ...options } = config;
        return new SyntheticH264Camera({ cameraId: id, ...options });
      }
      const { source, id, codec, ...options } = config;
      return new SyntheticCamera({ cameraId: id, ...options });
    }
    case 'folder': {
      const { source, id, ...options } = config;
      return new FolderCamera({ cameraId: id, ...options });
    }
    case 'mjpeg': {
      const { source, id, ...options } = config;
      return new MjpegCamera({ cameraId: id, ...options });
    }
    case 'rtsp': {
      if (wantsMjpeg(config)) {
        const { source, id, mode, ...options } = config;
        return new RtspCamera({ cameraId: id, ...options });
      }
      const { source, id, mode, ...options } = config;
      return new RtspPassthroughCamera({ cameraId: id, ...options });
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown camera source ${JSON.stringify((unknown as { source: unknown }).source)}`);
    }
  }
}

/** Fields that only mean something when re-encoding to JPEG. */
const MJPEG_ONLY_FIELDS = ['fps', 'width', 'height', 'jpegQuality'] as const;

/**
 * `mode: 'mjpeg'`, or no mode but a field that only re-encoding honours (a configuration written
 * before passthrough asked for a size or rate): such a camera keeps the JPEG path it was set up for.
 */
function wantsMjpeg(config: RtspSourceConfig): boolean {
  if (config.mode !== undefined) return config.mode === 'mjpeg';
  return MJPEG_ONLY_FIELDS.some((field) => field in config);
}
