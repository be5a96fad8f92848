import sharp from 'sharp';
import { checkNumber, withDefaults } from './option-error.js';

export interface ThumbnailOptions {
  /** Largest width in pixels; the height follows the aspect ratio. Smaller images keep their size. */
  readonly width: number;
  /** JPEG quality 1 … 100. */
  readonly quality: number;
}

export const DEFAULT_THUMBNAIL_OPTIONS: ThumbnailOptions = { width: 320, quality: 70 };

/**
 * A small JPEG of an event's peak frame. Never upscales; keeps the aspect ratio; sharp writes no
 * metadata (EXIF, ICC) unless asked, so nothing but pixels leaves the device.
 * Rejects a corrupt JPEG (`failOn: 'error'`) and bad options (MotionOptionError).
 */
export async function makeThumbnail(
  jpeg: Uint8Array,
  options?: Partial<ThumbnailOptions>,
): Promise<Uint8Array> {
  const { width, quality } = withDefaults(DEFAULT_THUMBNAIL_OPTIONS, options);
  checkNumber('width', width, { min: 1, max: 4096, integer: true });
  checkNumber('quality', quality, { min: 1, max: 100, integer: true });
  const out = await sharp(jpeg, { failOn: 'error' })
    .resize({ width, withoutEnlargement: true })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
