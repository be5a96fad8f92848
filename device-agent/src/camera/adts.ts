const SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

export interface AdtsFrame {
  /** The whole ADTS frame (header + raw AAC). */
  readonly data: Uint8Array;
  readonly sampleRate: number;
  readonly channels: number;
}

/**
 * Cuts an ADTS byte stream (ffmpeg's `-f adts`) into frames by the 13-bit frame length in each
 * header. A byte that does not start a header is a desynchronisation: reported, and the buffer dropped.
 */
export class AdtsSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onFrame: (frame: AdtsFrame) => void,
    private readonly onError: (message: string) => void,
  ) {}

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  /** Bytes held that do not make a whole frame yet. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let offset = 0;
    while (this.buffer.length - offset >= 7) {
      const b = this.buffer.subarray(offset);
      if (b[0] !== 0xff || (b[1]! & 0xf0) !== 0xf0) {
        this.buffer = Buffer.alloc(0);
        this.onError('ADTS: lost frame sync');
        return;
      }
      const length = ((b[3]! & 0x03) << 11) | (b[4]! << 3) | (b[5]! >> 5);
      if (length < 7) {
        this.buffer = Buffer.alloc(0);
        this.onError('ADTS: invalid frame length');
        return;
      }
      if (b.length < length) break;
      const sampleRate = SAMPLE_RATES[(b[2]! >> 2) & 0x0f] ?? 0;
      const channels = ((b[2]! & 0x01) << 2) | (b[3]! >> 6);
      this.onFrame({ data: Uint8Array.from(b.subarray(0, length)), sampleRate, channels });
      offset += length;
    }
    this.buffer = this.buffer.subarray(offset);
  }
}
