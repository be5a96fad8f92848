import sharp from 'sharp';
import { DEFAULT_LUMA_SIZE } from '../motion/luma.js';
import type { LumaImage } from './frame.js';
import { JpegSplitter } from './jpeg-splitter.js';

/**
 * A still's greyscale copy is made at the motion detector's own size (64×36 by default, any aspect
 * stretched to it), so the detector uses it as it is and never decodes the still's JPEG again.
 */
export const STILL_LUMA_SIZE = DEFAULT_LUMA_SIZE;

export interface AssembledStill {
  /** Presentation time of the decoded picture, seconds, on ffmpeg's (copyts) timeline. */
  readonly ptsSeconds: number;
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly luma: LumaImage;
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.]+(?:e[+-]?\d+)?)/;

/**
 * The decoded-stills output of a passthrough ffmpeg: JPEGs on a pipe (image2pipe) and, for each, a
 * `showinfo` line on stderr with its presentation time, paired in order. Each still gets a
 * STILL_LUMA_SIZE greyscale copy (sharp); stills are handed over in order, one at a time.
 */
export class StillAssembler {
  private readonly splitter: JpegSplitter;
  private readonly times: number[] = [];
  private readonly images: { jpeg: Buffer; width: number; height: number }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private generation = 0;

  constructor(
    private readonly onStill: (still: AssembledStill) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.splitter = new JpegSplitter({
      onImage: (image) => {
        this.images.push(image);
        this.pair();
      },
      onError: (error) => onError(`stills: ${error.message}`),
    });
  }

  pushBytes(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** A still whose time came with it (the GStreamer client frames each JPEG with its timestamp): no pairing. */
  pushImage(ptsSeconds: number, jpeg: Buffer, width: number, height: number): void {
    this.process(ptsSeconds, { jpeg, width, height });
  }

  /** A stderr line of ffmpeg; only showinfo's per-frame lines are used. */
  pushStderrLine(line: string): void {
    const match = SHOWINFO.exec(line);
    if (!match) return;
    this.times.push(Number(match[1]));
    if (this.times.length > 100) this.times.shift();
    this.pair();
  }

  reset(): void {
    this.generation++;
    this.splitter.reset();
    this.times.length = 0;
    this.images.length = 0;
  }

  /** Resolves when every still paired so far has been handed over. */
  settled(): Promise<void> {
    return this.chain;
  }

  private pair(): void {
    while (this.times.length > 0 && this.images.length > 0)
      this.process(this.times.shift()!, this.images.shift()!);
  }

  /** The still's luma (sharp), then the still handed over, in order with the others. */
  private process(ptsSeconds: number, image: { jpeg: Buffer; width: number; height: number }): void {
    const generation = this.generation;
    this.chain = this.chain.then(async () => {
      try {
        const { data, info } = await sharp(image.jpeg)
          .greyscale()
          .resize(STILL_LUMA_SIZE.width, STILL_LUMA_SIZE.height, { fit: 'fill' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        if (generation !== this.generation) return;
        const luma = {
          width: info.width,
          height: info.height,
          data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
        };
        this.onStill({ ptsSeconds, jpeg: image.jpeg, width: image.width, height: image.height, luma });
      } catch (error) {
        if (generation === this.generation)
          this.onError(`stills: could not decode a still: ${(error as Error).message}`);
      }
    });
  }
}
