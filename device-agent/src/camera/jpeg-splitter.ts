import { isStandaloneMarker, isStartOfFrame, readFrameSize } from './jpeg-size.js';

export interface SplitJpeg {
  /** A copy: the splitter reuses its own buffer for the next image. */
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface JpegSplitterOptions {
  readonly onImage: (image: SplitJpeg) => void;
  readonly onError: (error: Error) => void;
  /** A larger image is dropped with an error; the splitter never holds more than this. Default 8 MiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_JPEG_BYTES = 8 * 1024 * 1024;

const SEEK_SOI = 0; // outside an image: skipping to the next FF D8
const SEEK_SOI_CODE = 1; // outside an image, after an FF
const MARKER = 2; // inside an image, expecting the FF of the next marker
const MARKER_CODE = 3; // inside an image, after an FF
const LENGTH_HIGH = 4;
const LENGTH_LOW = 5;
const SEGMENT = 6; // skipping a marker segment's payload by its length
const ENTROPY = 7; // entropy-coded data after SOS: only FF xx (xx not 00, not RST) ends it
const ENTROPY_FF = 8;

/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg's `-f image2pipe -c:v mjpeg`) into images. It
 * follows the marker structure (segment lengths, byte stuffing in scan data) rather than searching for
 * FF D9, so an EOI inside an APP segment or an embedded thumbnail does not end the image early. Bytes
 * before an SOI are skipped.
 */
export class JpegSplitter {
  private readonly maxBytes: number;
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of the current image in `buffer`, not counting the part of the chunk being parsed. */
  private length = 0;
  private state = SEEK_SOI;
  /** Inside an image that has already been reported as too large: parse it to its end, keep nothing. */
  private discarding = false;
  private marker = 0;
  private lengthHigh = 0;
  private segmentRemaining = 0;
  /** Image offset of the SOF segment's FF byte, -1 before it. */
  private sofOffset = -1;
  // Per push: where the current image's unsaved bytes begin in the chunk (-1 outside an image).
  private chunkImageStart = -1;

  constructor(private readonly options: JpegSplitterOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_JPEG_BYTES;
  }

  /** Bytes currently allocated for a partial image; never more than `maxBytes`. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Forgets a partial image (the stream it came from is gone). */
  reset(): void {
    this.state = SEEK_SOI;
    this.length = 0;
    this.discarding = false;
  }

  push(data: Uint8Array): void {
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const end = chunk.length;
    this.chunkImageStart = this.state >= MARKER ? 0 : -1;
    let i = 0;
    while (i < end) {
      switch (this.state) {
        case SEEK_SOI: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) return;
          i = ff + 1;
          this.state = SEEK_SOI_CODE;
          break;
        }
        case SEEK_SOI_CODE: {
          const code = chunk[i]!;
          if (code === 0xd8) this.startImage(i);
          else if (code !== 0xff) this.state = SEEK_SOI;
          i++;
          break;
        }
        case MARKER:
          if (chunk[i] === 0xff) this.state = MARKER_CODE;
          else this.corrupt(`expected a marker at byte ${this.offsetOf(i)}`);
          i++;
          break;
        case MARKER_CODE:
          this.onMarker(chunk, i, false);
          i++;
          break;
        case LENGTH_HIGH:
          this.lengthHigh = chunk[i]!;
          this.state = LENGTH_LOW;
          i++;
          break;
        case LENGTH_LOW: {
          const length = (this.lengthHigh << 8) | chunk[i]!;
          i++;
          if (length < 2) this.corrupt(`marker segment length ${length}`);
          else {
            this.segmentRemaining = length - 2;
            this.state = this.segmentRemaining > 0 ? SEGMENT : this.afterSegment();
          }
          break;
        }
        case SEGMENT: {
          const n = Math.min(this.segmentRemaining, end - i);
          i += n;
          this.segmentRemaining -= n;
          if (this.segmentRemaining === 0) this.state = this.afterSegment();
          break;
        }
        case ENTROPY: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) i = end;
          else {
            i = ff + 1;
            this.state = ENTROPY_FF;
          }
          break;
        }
        case ENTROPY_FF:
          this.onMarker(chunk, i, true);
          i++;
          break;
      }
    }
    if (this.chunkImageStart >= 0) this.save(chunk, this.chunkImageStart, end);
  }

  /** The marker code byte at `chunk[i]`, after an FF. */
  private onMarker(chunk: Buffer, i: number, inScan: boolean): void {
    const code = chunk[i]!;
    if (code === 0xff) return; // fill byte: still after an FF
    if (code === 0xd9) {
      this.endImage(chunk, i);
      return;
    }
    if (code === 0xd8) {
      this.corrupt('image cut short by the next SOI');
      this.startImage(i);
      return;
    }
    if (inScan && (code === 0x00 || (code >= 0xd0 && code <= 0xd7))) {
      this.state = ENTROPY; // stuffed FF or restart marker: scan data goes on
      return;
    }
    if (code === 0x00) {
      this.corrupt(`invalid marker FF00 at byte ${this.offsetOf(i) - 1}`);
      return;
    }
    if (isStandaloneMarker(code)) {
      this.state = MARKER;
      return;
    }
    this.marker = code;
    if (isStartOfFrame(code)) this.sofOffset = this.offsetOf(i) - 1;
    this.state = LENGTH_HIGH;
  }

  private afterSegment(): number {
    return this.marker === 0xda ? ENTROPY : MARKER;
  }

  /** Offset within the current image of `chunk[i]`. */
  private offsetOf(i: number): number {
    return this.length + i - this.chunkImageStart;
  }

  /** `chunk[i]` is the D8 of an SOI (its FF may have been in the previous chunk). */
  private startImage(i: number): void {
    this.ensureCapacity(2);
    this.buffer[0] = 0xff;
    this.buffer[1] = 0xd8;
    this.length = 2;
    this.discarding = false;
    this.sofOffset = -1;
    this.chunkImageStart = i + 1;
    this.state = MARKER;
  }

  /** `chunk[i]` is the D9 of an EOI. */
  private endImage(chunk: Buffer, i: number): void {
    this.save(chunk, this.chunkImageStart, i + 1);
    this.chunkImageStart = -1;
    this.state = SEEK_SOI;
    const discarded = this.discarding;
    this.discarding = false;
    const length = this.length;
    this.length = 0;
    if (discarded) return;
    const size = this.sofOffset >= 0 ? readFrameSize(this.buffer.subarray(0, length), this.sofOffset) : null;
    if (!size) this.options.onError(new Error('JPEG without a frame size (SOF) dropped'));
    else this.options.onImage({ jpeg: Buffer.from(this.buffer.subarray(0, length)), ...size });
  }

  private corrupt(reason: string): void {
    if (!this.discarding) this.options.onError(new Error(`corrupt JPEG dropped: ${reason}`));
    this.chunkImageStart = -1;
    this.state = SEEK_SOI;
    this.discarding = false;
    this.length = 0;
  }

  /** Appends `chunk[from..to)` to the current image, or starts discarding it when it gets too large. */
  private save(chunk: Buffer, from: number, to: number): void {
    if (this.discarding || to <= from) return;
    const needed = this.length + (to - from);
    if (needed > this.maxBytes) {
      this.discarding = true;
      this.length = 0;
      this.options.onError(new Error(`JPEG larger than ${this.maxBytes} bytes dropped`));
      return;
    }
    this.ensureCapacity(needed);
    chunk.copy(this.buffer, this.length, from, to);
    this.length = needed;
  }

  private ensureCapacity(needed: number): void {
    if (this.buffer.length >= needed) return;
    let capacity = Math.max(this.buffer.length, 64 * 1024);
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, this.maxBytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
