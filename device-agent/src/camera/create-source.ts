import { FolderCamera, type FolderCameraOptions } from './folder.js';
import type { CameraSource } from './frame.js';
import { MjpegCamera, type MjpegCameraOptions } from './mjpeg.js';
import { RtspCamera, type RtspCameraOptions } from './rtsp.js';
import { SyntheticCamera, type SyntheticCameraOptions } from './synthetic.js';

/** A source's options as configuration data: `id` instead of `cameraId`, and no functions. */
type SourceConfig<Source extends string, Options extends { cameraId: string }> = {
  readonly source: Source;
  /** The camera's id; also its stream id on the relay, so it follows the protocol's stream id grammar (StreamId). */
  readonly id: string;
} & Omit<Options, 'cameraId' | 'now'>;

export type SyntheticSourceConfig = SourceConfig<'synthetic', SyntheticCameraOptions>;
export type FolderSourceConfig = SourceConfig<'folder', FolderCameraOptions>;
export type MjpegSourceConfig = SourceConfig<'mjpeg', MjpegCameraOptions>;
export type RtspSourceConfig = SourceConfig<'rtsp', RtspCameraOptions>;

export type CameraSourceConfig =
  | SyntheticSourceConfig
  | FolderSourceConfig
  | MjpegSourceConfig
  | RtspSourceConfig;

export function createCameraSource(config: CameraSourceConfig): CameraSource {
  switch (config.source) {
    case 'synthetic': {
      const { source, id, ...options } = config;
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
      const { source, id, ...options } = config;
      return new RtspCamera({ cameraId: id, ...options });
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown camera source ${JSON.stringify((unknown as { source: unknown }).source)}`);
    }
  }
}
