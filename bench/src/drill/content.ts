import { createHash } from 'node:crypto';
import sharp from 'sharp';

/**
 * What the harness writes into every picture a simulated camera makes: whose home it comes from.
 * It sits in a JPEG comment segment, so the picture stays a valid JPEG. Only the harness reads it
 * (the relay sees it only in the plaintext baseline, where that is the point).
 */
export interface Marker {
  readonly home: number;
  readonly object: string;
}

const PREFIX = 'SEALCAM-DRILL ';
const PATTERN = /SEALCAM-DRILL home=(\d+) object=([\w:.-]+);/;

/** A small real JPEG (160×90 grey) to carry markers; made once per process. */
export async function jpegTemplate(): Promise<Uint8Array> {
  const jpeg = await sharp({
    create: { width: 160, height: 90, channels: 3, background: { r: 90, g: 110, b: 130 } },
  })
    .jpeg({ quality: 60 })
    .toBuffer();
  return new Uint8Array(jpeg);
}

/** The template with a COM segment (FF FE, length, text) right after SOI naming home and object. */
export function markedJpeg(template: Uint8Array, marker: Marker): Uint8Array {
  const text = Buffer.from(`${PREFIX}home=${marker.home} object=${marker.object};`, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([template.subarray(0, 2), segment, template.subarray(2)]);
}

/** The marker found anywhere in `bytes` (a JPEG, a clip chunk holding JPEGs), or null. */
export function readMarker(bytes: Uint8Array): Marker | null {
  const match = PATTERN.exec(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  );
  return match ? { home: Number(match[1]), object: match[2]! } : null;
}

/** Ground-truth key of an object as it travels: a digest of the exact bytes the device sent. */
export function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}
