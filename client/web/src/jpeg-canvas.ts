import { h } from './dom.js';

/**
 * Shows verified live JPEG pictures on a <canvas>: each is decoded (`createImageBitmap`), drawn at
 * its own size, and its decode released at once. A picture that does not decode leaves the previous
 * one on the canvas.
 *
 * _Why not an <img> with a Blob URL per picture:_ Chromium keeps every picture an <img> showed
 * decoded in its image decode cache (discardable shared memory) until memory pressure: 4 live 640×360
 * JPEG cameras at 10 fps took the renderer from 194 to 675 MB RSS within 33 s (451 MB of it
 * discardable; bench:web-memory --codec jpeg). A canvas holds one picture.
 */
export class JpegCanvas {
  readonly element: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D | null;
  /** Numbers every show and clear in order. */
  private requested = 0;
  /** The newest show drawn, or the last clear: a decode of an older one that finishes later is dropped. */
  private newest = 0;

  constructor(attributes: Record<string, string>) {
    this.element = h('canvas', { role: 'img', width: 0, height: 0, hidden: true, ...attributes });
    this.context = this.element.getContext('2d');
  }

  /**
   * Shows `bytes`; false (and the previous picture stays) when they do not decode, or a later picture
   * (or a clear) got there first. Decodes may overlap: each is drawn unless a later one already was,
   * so a player asking faster than pictures decode still shows some of them.
   */
  async show(bytes: Uint8Array, type = 'image/jpeg'): Promise<boolean> {
    const order = ++this.requested;
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    } catch {
      return false;
    }
    try {
      if (order <= this.newest || !this.context) return false;
      this.newest = order;
      if (this.element.width !== bitmap.width || this.element.height !== bitmap.height) {
        this.element.width = bitmap.width;
        this.element.height = bitmap.height;
      }
      this.context.drawImage(bitmap, 0, 0);
      this.element.hidden = false;
      return true;
    } finally {
      bitmap.close();
    }
  }

  /** Whether a picture is on the canvas. */
  get shown(): boolean {
    return !this.element.hidden && this.element.width > 0;
  }

  /** Removes the picture (a 0×0 canvas holds no pixels). */
  clear(): void {
    this.newest = ++this.requested;
    this.element.width = 0;
    this.element.height = 0;
  }
}
