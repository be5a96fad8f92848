import { LIMITS } from './constants.js';
import { fail } from './errors.js';

/**
 * Clips of timed codecs (docs/PROTOCOL.md §7.14): the plaintexts of an event's clip chunks, in order,
 * form one fragmented MP4 (ISO BMFF: `ftyp` and `moov`, then `moof` + `mdat` fragments), which any
 * player reads. Each chunk holds whole top-level boxes and chunk 0 starts with `ftyp`, so a viewer can
 * hand chunk 0 on to a player before chunk 1 has arrived. The event record says `clip.type`
 * CLIP_MP4_TYPE, `clip.codec` 2 (H.264) or 3 (H.265), `clip.frames` the number of video samples.
 */
export const CLIP_MP4_TYPE = 'video/mp4';

const BOX_HEADER_BYTES = 8;
const LARGE_BOX_HEADER_BYTES = 16;

function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/**
 * The top-level boxes of one chunk's plaintext, by type, after checking that it is made of whole
 * boxes: input above 8 MiB → MALFORMED; a box header cut short or a box running past the end →
 * TRUNCATED; a size below its header, a size 0 ("to the end of the file", not allowed inside a
 * chunk) or a type that is not four printable ASCII characters → MALFORMED; with `first`, a first
 * box other than `ftyp` → MALFORMED. Nothing inside the boxes is read: the player parses them.
 */
export function checkMp4ClipChunk(bytes: Uint8Array, first: boolean): string[] {
  if (bytes.length > LIMITS.clipChunkBytes) fail('MALFORMED', 'clip chunk larger than 8 MiB');
  if (bytes.length === 0) fail('TRUNCATED', 'empty MP4 clip chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: string[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    if (bytes.length - offset < BOX_HEADER_BYTES) fail('TRUNCATED', 'MP4 box header');
    let size = view.getUint32(offset);
    const type = fourcc(bytes, offset + 4);
    if (!/^[\x20-\x7e]{4}$/.test(type)) fail('MALFORMED', 'MP4 box type is not printable');
    let header = BOX_HEADER_BYTES;
    if (size === 1) {
      if (bytes.length - offset < LARGE_BOX_HEADER_BYTES) fail('TRUNCATED', 'MP4 large box header');
      const large = view.getBigUint64(offset + 8);
      if (large > BigInt(LIMITS.clipChunkBytes)) fail('TRUNCATED', `MP4 box ${type} runs past the chunk`);
      size = Number(large);
      header = LARGE_BOX_HEADER_BYTES;
    }
    if (size === 0) fail('MALFORMED', `MP4 box ${type} without a size`);
    if (size < header) fail('MALFORMED', `MP4 box ${type} smaller than its header`);
    if (size > bytes.length - offset) fail('TRUNCATED', `MP4 box ${type} runs past the chunk`);
    if (first && offset === 0 && type !== 'ftyp') fail('MALFORMED', 'an MP4 clip does not start with ftyp');
    types.push(type);
    offset += size;
  }
  return types;
}
