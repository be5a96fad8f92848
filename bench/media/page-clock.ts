/**
 * Reads the camera's burned-in block clock (bench/media/rtsp-camera.py) from the picture a live tile
 * shows, at every frame the page renders (requestAnimationFrame), and records "now − camera clock"
 * each time a new camera time appears: glass-to-glass on one machine, one clock. The shown picture is
 * whichever of the tile's canvases shows a picture (WebCodecs, or the JPEG one).
 */

/** The clock's geometry in the camera's 1920×1080 picture. */
export const CLOCK_LAYOUT = { bits: 40, blockWidth: 44, blockHeight: 16, x: 16, y: 8, width: 1920 } as const;

export interface PageClockReport {
  /** ms from the camera's clock to the page showing it, one per new camera frame seen. */
  readonly latencies: number[];
  /** Pictures whose clock failed its check bits (partly drawn, or not the bench camera). */
  readonly unreadable: number;
  /** What the picture was read from. */
  readonly element: 'canvas' | 'none';
}

declare global {
  interface Window {
    __sealcamClock?: {
      reset(): void;
      report(): PageClockReport;
      stop(): void;
    };
  }
}

/** Runs in the page (page.evaluate): installs window.__sealcamClock. Self-contained. */
export function installPageClock(layout: typeof CLOCK_LAYOUT): void {
  const MAX_SAMPLES = 100_000;
  const scratch = document.createElement('canvas');
  const stripWidth = layout.x * 2 + layout.bits * layout.blockWidth;
  const stripHeight = layout.y + layout.blockHeight;
  scratch.width = Math.ceil(stripWidth / 2);
  scratch.height = Math.ceil(stripHeight / 2);
  const context = scratch.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('no 2d context');
  let latencies: number[] = [];
  let unreadable = 0;
  let element: PageClockReport['element'] = 'none';
  let last = -1;
  let running = true;

  const source = (): { image: CanvasImageSource; width: number } | null => {
    const tile = document.querySelector('#live-grid [data-testid="camera-tile"]');
    if (!tile) return null;
    // The tile's H.264 canvas or its JPEG one, whichever shows a picture.
    for (const canvas of Array.from(tile.querySelectorAll('canvas')))
      if (!canvas.hidden && canvas.width > 0) {
        element = 'canvas';
        return { image: canvas, width: canvas.width };
      }
    return null;
  };

  const read = (): number | null => {
    const shown = source();
    if (!shown) return null;
    const scale = shown.width / layout.width;
    context.drawImage(
      shown.image,
      0,
      0,
      stripWidth * scale,
      stripHeight * scale,
      0,
      0,
      scratch.width,
      scratch.height,
    );
    const { data } = context.getImageData(0, 0, scratch.width, scratch.height);
    const y = Math.round((layout.y + layout.blockHeight / 2) / 2);
    let word = 0n;
    for (let bit = 0; bit < layout.bits; bit++) {
      const x = Math.round((layout.x + bit * layout.blockWidth + layout.blockWidth / 2) / 2);
      const at = (y * scratch.width + x) * 4;
      const luma = 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
      word = (word << 1n) | (luma >= 128 ? 1n : 0n);
    }
    const value = Number(word >> 8n);
    const check = Number(word & 0xffn);
    const expected = ((value >>> 24) ^ (value >>> 16) ^ (value >>> 8) ^ value ^ 0xa5) & 0xff;
    if (check !== expected) {
      unreadable += 1;
      return null;
    }
    return value;
  };

  const onFrame = () => {
    if (!running) return;
    const now = Date.now();
    const value = read();
    if (value !== null && value !== last) {
      last = value;
      // The camera draws the low 32 bits of Unix ms: the difference modulo 2^32, taken near zero.
      let diff = ((now % 2 ** 32) - value + 2 ** 32) % 2 ** 32;
      if (diff > 2 ** 31) diff -= 2 ** 32;
      if (latencies.length < MAX_SAMPLES) latencies.push(diff);
    }
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);

  window.__sealcamClock = {
    reset() {
      latencies = [];
      unreadable = 0;
    },
    report: () => ({ latencies: [...latencies], unreadable, element }),
    stop() {
      running = false;
    },
  };
}
