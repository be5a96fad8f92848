/**
 * Playback timing of a clip: each frame is shown at its capture time relative to the first, so the
 * clip plays at the pace it was recorded. Pure (no DOM).
 */

/** Longest pause played as recorded; longer gaps (a camera that stalled) are shortened to this. */
export const MAX_GAP_MS = 2000;
/** Frame interval assumed when a clip has a single frame. */
export const DEFAULT_FRAME_MS = 100;

/** Offsets (ms from the first frame) for frames captured at `times`, never decreasing. */
export function clipOffsets(times: readonly number[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (let i = 0; i < times.length; i++) {
    if (i > 0) {
      const gap = times[i]! - times[i - 1]!;
      offset += Number.isFinite(gap) ? Math.min(MAX_GAP_MS, Math.max(0, gap)) : 0;
    }
    offsets.push(offset);
  }
  return offsets;
}

/** The typical frame interval (median of the gaps), used to show the last frame for one interval. */
export function frameInterval(offsets: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < offsets.length; i++) gaps.push(offsets[i]! - offsets[i - 1]!);
  const positive = gaps.filter((gap) => gap > 0).sort((a, b) => a - b);
  if (positive.length === 0) return DEFAULT_FRAME_MS;
  return positive[Math.floor(positive.length / 2)]!;
}

/** Total playing time: to the last frame, plus that frame's own interval. */
export function clipLength(offsets: readonly number[]): number {
  if (offsets.length === 0) return 0;
  return offsets[offsets.length - 1]! + frameInterval(offsets);
}

/** Index of the frame on screen `elapsed` ms into the clip (the last one whose offset has passed). */
export function frameIndexAt(offsets: readonly number[], elapsed: number): number {
  if (offsets.length === 0) return -1;
  let low = 0;
  let high = offsets.length - 1;
  if (elapsed < offsets[0]!) return 0;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (offsets[mid]! <= elapsed) low = mid;
    else high = mid - 1;
  }
  return low;
}
