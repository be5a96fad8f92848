import { h } from './dom.js';

/** How far outside the screen a thumbnail is already painted (so scrolling does not show blanks). */
const NEAR_SCREEN = '400px';

/**
 * A verified JPEG shown on a <canvas> only while it is on or near the screen: painted (decoded,
 * scaled to the box, the decode released at once) when it comes near, emptied (a 0×0 canvas holds
 * no pixels) when it leaves or its page hides. The bytes stay, so coming back repaints it.
 *
 * _Why not an <img>:_ Chromium keeps each picture an <img> decoded in its image decode cache
 * (discardable shared memory) after the <img> is emptied or gone, until memory pressure: a timeline
 * whose newest rows are seen now and then grew the renderer by every new thumbnail (~230 KB each at
 * 320×180; bench:web-memory). A canvas's pixels go when it is emptied.
 */
export class ThumbnailCanvas {
  readonly element: HTMLCanvasElement;
  private blob: Blob | undefined;
  private unreadable: (() => void) | undefined;
  /** Bumped by every paint and release: a paint that finishes after a newer one (or a release) is dropped. */
  private generation = 0;

  constructor(label: string, attributes: Record<string, string> = {}) {
    this.element = h('canvas', { role: 'img', 'aria-label': label, width: 0, height: 0, ...attributes });
  }

  /** Shows `bytes` (painted once near the screen); `unreadable` is called if they do not decode. */
  show(bytes: Uint8Array, unreadable: () => void, type = 'image/jpeg'): void {
    this.blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
    this.unreadable = unreadable;
    nearScreen().watch(this);
  }

  /** Whether pixels are on the canvas now. */
  get painted(): boolean {
    return this.element.width > 0;
  }

  /** @internal The visibility watcher's word: near the screen or not. */
  near(isNear: boolean): void {
    if (isNear) void this.paint();
    else this.release();
  }

  private async paint(): Promise<void> {
    const blob = this.blob;
    if (!blob) return;
    const generation = ++this.generation;
    const box = this.element.getBoundingClientRect();
    const scale = globalThis.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(box.width * scale));
    const height = Math.max(1, Math.round(box.height * scale));
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      if (generation === this.generation && this.blob === blob) this.unreadable?.();
      return;
    }
    try {
      if (generation !== this.generation) return;
      // Cover the box (as object-fit: cover would): the middle of the picture at the box's shape.
      const cut = Math.min(bitmap.width / width, bitmap.height / height);
      const sourceWidth = width * cut;
      const sourceHeight = height * cut;
      this.element.width = width;
      this.element.height = height;
      const context = this.element.getContext('2d');
      if (!context) return;
      context.imageSmoothingQuality = 'high';
      context.drawImage(
        bitmap,
        (bitmap.width - sourceWidth) / 2,
        (bitmap.height - sourceHeight) / 2,
        sourceWidth,
        sourceHeight,
        0,
        0,
        width,
        height,
      );
    } finally {
      bitmap.close();
    }
  }

  private release(): void {
    this.generation += 1;
    if (this.element.width !== 0 || this.element.height !== 0) {
      this.element.width = 0;
      this.element.height = 0;
    }
  }

  /** Removes the picture and its bytes. */
  clear(): void {
    nearScreen().unwatch(this);
    this.release();
    this.blob = undefined;
    this.unreadable = undefined;
  }
}

/** One IntersectionObserver for every thumbnail of the page. */
class NearScreen {
  private readonly owners = new WeakMap<Element, ThumbnailCanvas>();
  private readonly observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) this.owners.get(entry.target)?.near(entry.isIntersecting);
    },
    { rootMargin: NEAR_SCREEN },
  );

  watch(thumbnail: ThumbnailCanvas): void {
    this.owners.set(thumbnail.element, thumbnail);
    // Observing again reports the current state again (a new picture in a canvas already near).
    this.observer.unobserve(thumbnail.element);
    this.observer.observe(thumbnail.element);
  }

  unwatch(thumbnail: ThumbnailCanvas): void {
    this.observer.unobserve(thumbnail.element);
    this.owners.delete(thumbnail.element);
  }
}

let watcher: NearScreen | undefined;
function nearScreen(): NearScreen {
  watcher ??= new NearScreen();
  return watcher;
}
