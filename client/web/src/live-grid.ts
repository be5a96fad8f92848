import type { LiveTile } from './live-tile.js';

/**
 * The live grid: every stream of every camera, in a stable order (camera as listed, then stream
 * id), and one clock that refreshes every tile's status and frame age each second. A camera page
 * borrows one tile's element (it keeps playing, nothing is subscribed twice) and gives it back.
 */
export class LiveGrid {
  private readonly tiles: LiveTile[] = [];
  private readonly order: string[] = [];
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly empty: HTMLElement,
  ) {}

  /** Camera order, by device id (tiles of cameras not listed go last). */
  setCameraOrder(deviceIds: readonly string[]): void {
    this.order.splice(0, this.order.length, ...deviceIds);
    this.empty.hidden = deviceIds.length > 0;
  }

  add(tile: LiveTile): void {
    this.tiles.push(tile);
    this.tiles.sort((a, b) => this.rank(a) - this.rank(b) || (a.streamId < b.streamId ? -1 : 1));
    this.restore(tile);
    tile.tick(Date.now());
    this.timer ??= setInterval(() => {
      const now = Date.now();
      for (const each of this.tiles) each.tick(now);
    }, 1000);
    this.changed();
  }

  remove(tile: LiveTile): void {
    const index = this.tiles.indexOf(tile);
    if (index >= 0) this.tiles.splice(index, 1);
    tile.close();
    this.changed();
  }

  find(deviceId: string, streamId: string): LiveTile | undefined {
    return this.tiles.find((tile) => tile.deviceId === deviceId && tile.streamId === streamId);
  }

  /** Puts a tile's element back at its place in the grid (after a camera page showed it). */
  restore(tile: LiveTile): void {
    const index = this.tiles.indexOf(tile);
    if (index < 0) return;
    const next = this.tiles.slice(index + 1).find((other) => other.element.parentElement === this.container);
    this.container.insertBefore(tile.element, next?.element ?? null);
  }

  /** Calls `listener` whenever a tile comes or goes; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    // Columns that fill the width for 1, 2, 4, 9 cameras (the stylesheet narrows them on small screens).
    const count = this.tiles.length;
    this.container.dataset.cols = String(count <= 1 ? 1 : count <= 4 ? 2 : count <= 9 ? 3 : 4);
    for (const listener of this.listeners) listener();
  }

  private rank(tile: LiveTile): number {
    const index = this.order.indexOf(tile.deviceId);
    return index < 0 ? this.order.length : index;
  }
}
