import type { JpegFrame } from '../camera/frame.js';

/**
 * The most recent frames of one camera, bounded by age (relative to the newest frame) and by total
 * JPEG bytes; the oldest frames go first. Frames are pushed in capture order.
 */
export class PreRollBuffer {
  private frames: JpegFrame[] = [];
  private total = 0;

  constructor(
    private readonly maxMs: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.frames.length;
  }

  get bytes(): number {
    return this.total;
  }

  push(frame: JpegFrame): void {
    this.frames.push(frame);
    this.total += frame.jpeg.length;
    this.trim(frame.capturedAt - this.maxMs, this.maxBytes);
  }

  /** Empties the buffer, returning the frames captured at or after `since` (oldest first). */
  takeSince(since: number): JpegFrame[] {
    this.trim(since, this.maxBytes);
    const out = this.frames;
    this.frames = [];
    this.total = 0;
    return out;
  }

  clear(): void {
    this.frames = [];
    this.total = 0;
  }

  private trim(since: number, maxBytes: number): void {
    let drop = 0;
    let total = this.total;
    for (const frame of this.frames) {
      if (frame.capturedAt >= since && total <= maxBytes) break;
      total -= frame.jpeg.length;
      drop++;
    }
    if (drop > 0) this.frames.splice(0, drop);
    this.total = total;
  }
}
