/**
 * Paints decoded video pictures on a 2D canvas, taking ownership of each VideoFrame (closed once
 * painted or dropped). Newest wins: while one picture is being copied, a newer one replaces any
 * picture still waiting.
 *
 * _Why pixels and putImageData rather than drawImage(frame):_ Chromium without GPU compositing keeps
 * every VideoFrame drawn into a 2D canvas in a cache, about one decoded picture per frame, up to
 * ~460 MB per renderer (measured: 640×360 at 10 fps grew the renderer 0.9 MB per frame for 500
 * frames, with willReadFrequently, createImageBitmap or a getImageData flush alike; copyTo + putImageData
 * stayed flat; bench:web-memory). Pictures in memory (format set: I420, NV12…) are copied as RGBA
 * into one reused buffer per tile. A picture only the GPU holds (format null) is drawn as before (a
 * copy would read it back), and so is one with non-square pixels (a copy is not scaled).
 */
export class FramePainter {
  private pixels: ImageData | undefined;
  private copying = false;
  private waiting: VideoFrame | undefined;
  private closed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly context: CanvasRenderingContext2D,
    /** A picture is on the canvas: its timestamp (µs). */
    private readonly painted: (timestampUs: number) => void,
  ) {}

  paint(frame: VideoFrame): void {
    if (this.closed) {
      frame.close();
      return;
    }
    if (this.copying) {
      this.waiting?.close();
      this.waiting = frame;
      return;
    }
    const { width, height } = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
    // Only the GPU holds it, or its pixels are not square (a copy is not scaled): drawn instead.
    if (frame.format === null || width !== frame.displayWidth || height !== frame.displayHeight) {
      this.drawn(frame);
      return;
    }
    void this.copy(frame, width, height);
  }

  private drawn(frame: VideoFrame): void {
    try {
      this.size(frame.displayWidth, frame.displayHeight);
      this.context.drawImage(frame, 0, 0, frame.displayWidth, frame.displayHeight);
      this.painted(frame.timestamp);
    } finally {
      frame.close();
    }
  }

  private async copy(frame: VideoFrame, width: number, height: number): Promise<void> {
    this.copying = true;
    try {
      if (this.pixels?.width !== width || this.pixels.height !== height)
        this.pixels = new ImageData(width, height);
      const pixels = this.pixels;
      try {
        await frame.copyTo(pixels.data, { format: 'RGBA', colorSpace: 'srgb' });
      } catch {
        // A browser without RGBA conversion in copyTo: draw it instead.
        if (!this.closed) this.drawn(frame.clone());
        return;
      }
      if (this.closed) return;
      this.size(width, height);
      this.context.putImageData(pixels, 0, 0);
      this.painted(frame.timestamp);
    } finally {
      frame.close();
      this.copying = false;
      const next = this.waiting;
      this.waiting = undefined;
      if (next) this.paint(next);
    }
  }

  private size(width: number, height: number): void {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
  }

  close(): void {
    this.closed = true;
    this.waiting?.close();
    this.waiting = undefined;
  }
}
