import { NAL_AUD } from './annexb.js';

/**
 * Cuts an Annex B stream whose every access unit begins with an access unit delimiter (x264's
 * `aud=1`) into access units: a unit is complete when the next one's delimiter arrives.
 */
export class AudSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Where the search for the next delimiter resumes. */
  private scanFrom = 2;

  constructor(
    private readonly onUnit: (unit: Uint8Array) => void,
    private readonly maxBytes: number,
    private readonly onError: (message: string) => void,
  ) {}

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.scanFrom = 2;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      // From 2: the delimiter this unit begins with (a 3- or 4-byte start code at 0) is not a boundary.
      const next = this.findAud(this.scanFrom);
      if (next <= 0) break;
      this.onUnit(Uint8Array.from(this.pending.subarray(0, next)));
      this.pending = this.pending.subarray(next);
      this.scanFrom = 2;
    }
    this.scanFrom = Math.max(2, this.pending.length - 4);
    if (this.pending.length > this.maxBytes) {
      this.reset();
      this.onError(`an access unit exceeds ${this.maxBytes} bytes`);
    }
  }

  /** Offset of the start code (3 or 4 bytes) of an AUD NAL at or after `from`, or -1. */
  private findAud(from: number): number {
    const b = this.pending;
    for (let i = from; i + 3 < b.length; i++) {
      if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1 && (b[i + 3]! & 0x1f) === NAL_AUD) {
        return i > 0 && b[i - 1] === 0 ? i - 1 : i;
      }
    }
    return -1;
  }
}
