import type { AudioUnit, VideoUnit } from '../camera/frame.js';

/** A unit of a passthrough camera's stream, video or audio, in capture order. */
export type MediaUnit = VideoUnit | AudioUnit;

interface Gop {
  readonly start: number;
  readonly units: MediaUnit[];
  bytes: number;
}

/**
 * The most recent units of a passthrough camera, always starting at a video keyframe, so a clip
 * cut from it decodes on its own. Bounded the way PreRollBuffer is (age relative to the newest unit,
 * total bytes), but only whole GOPs leave from the front: the buffer keeps the newest GOP that
 * started at or before the age limit, so it covers at least the pre-roll when the stream allows.
 * Units before the first keyframe (and audio before it) are dropped: nothing could decode them.
 */
export class GopPreRoll {
  private gops: Gop[] = [];
  private total = 0;

  constructor(
    private readonly maxMs: number,
    private readonly maxBytes: number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get length(): number {
    let n = 0;
    for (const gop of this.gops) n += gop.units.length;
    return n;
  }

  push(unit: MediaUnit): void {
    if (unit.kind === 'h264' && unit.keyframe)
      this.gops.push({ start: unit.capturedAt, units: [], bytes: 0 });
    const gop = this.gops[this.gops.length - 1];
    if (!gop) return;
    gop.units.push(unit);
    gop.bytes += unit.data.length;
    this.total += unit.data.length;
    this.trim(unit.capturedAt - this.maxMs);
  }

  /** Empties the buffer, returning its units from the newest GOP that starts at or before `since`. */
  takeSince(since: number): MediaUnit[] {
    this.trim(since);
    const out = this.gops.flatMap((gop) => gop.units);
    this.clear();
    return out;
  }

  /** Empties the buffer, returning the units of the GOP in progress (the newest), if any. */
  takeCurrentGop(): MediaUnit[] {
    const last = this.gops[this.gops.length - 1];
    this.clear();
    return last ? last.units : [];
  }

  clear(): void {
    this.gops = [];
    this.total = 0;
  }

  private trim(since: number): void {
    let drop = 0;
    let total = this.total;
    while (drop < this.gops.length - 1) {
      const next = this.gops[drop + 1]!;
      if (next.start > since && total <= this.maxBytes) break;
      total -= this.gops[drop]!.bytes;
      drop++;
    }
    if (drop > 0) this.gops.splice(0, drop);
    this.total = total;
  }
}
