import sharp from 'sharp';
import type { JpegFrame, LumaImage } from '../camera/frame.js';

export interface LumaSize {
  readonly width: number;
  readonly height: number;
}

/** 16:9 at 64×36 = 2304 pixels: enough for "something moved", cheap to compare every frame. */
export const DEFAULT_LUMA_SIZE: LumaSize = { width: 64, height: 36 };

/** Whether `luma` is a well-formed image of exactly `size`. */
export function isLumaOfSize(luma: LumaImage, size: LumaSize): boolean {
  return (
    luma.width === size.width && luma.height === size.height && luma.data.length === size.width * size.height
  );
}

/**
 * The frame's greyscale downscale for motion detection: `frame.luma` when the source made one of this
 * size, else the JPEG decoded by sharp. Resizing from a JPEG lets libvips use shrink-on-load (the
 * decoder produces 1/2, 1/4 or 1/8 scale directly), so a 1280×720 frame is decoded at 160×90 and never
 * at full size. `fit: 'fill'` stretches any aspect ratio to `size`, which motion detection does not mind.
 * A corrupt JPEG rejects (`failOn: 'error'`), so the caller can skip that frame's analysis.
 */
export async function lumaOf(frame: JpegFrame, size: LumaSize = DEFAULT_LUMA_SIZE): Promise<LumaImage> {
  if (frame.luma && isLumaOfSize(frame.luma, size)) return frame.luma;
  const { data, info } = await sharp(frame.jpeg, { failOn: 'error' })
    .resize(size.width, size.height, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || info.width !== size.width || info.height !== size.height) {
    throw new Error(`luma decode produced ${info.width}×${info.height}×${info.channels}, not one channel`);
  }
  return {
    width: size.width,
    height: size.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
