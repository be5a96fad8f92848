/** Width and height of a JPEG, read from its SOF (start of frame) segment without decoding. */
export interface JpegSize {
  readonly width: number;
  readonly height: number;
}

/** SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
export function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, without a length: TEM, RST0–RST7, SOI, EOI. */
export function isStandaloneMarker(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

/**
 * The size in an SOF segment whose FF byte is at `offset` (FF Cn Lh Ll P Yh Yl Xh Xl), or null when
 * the segment is cut short or declares a zero size (a height defined later by DNL is not supported).
 */
export function readFrameSize(bytes: Uint8Array, offset: number): JpegSize | null {
  if (offset + 9 > bytes.length) return null;
  const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
  const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
  return width > 0 && height > 0 ? { width, height } : null;
}

/** Walks the marker segments of a complete JPEG up to its SOF; null if it is not a well-formed JPEG. */
export function jpegSize(jpeg: Uint8Array): JpegSize | null {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    if (jpeg[offset] !== 0xff) return null;
    const marker = jpeg[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (isStartOfFrame(marker)) return readFrameSize(jpeg, offset);
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end before any frame header
    if (isStandaloneMarker(marker)) {
      offset += 2;
      continue;
    }
    const length = (jpeg[offset + 2]! << 8) | jpeg[offset + 3]!;
    if (length < 2) return null;
    offset += 2 + length;
  }
  return null;
}
