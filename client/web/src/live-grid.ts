import type { LiveTile } from './live-tile.js';

/**
 * The live grid: every stream of every camera, in a stable order (camera as listed, then stream
 * id), and one clock that refreshes every tile's status and frame age each second.
 */
export class LiveGrid {
  private readonly tiles: LiveTile[] = [];
  private readonly order: string[] = [];
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
    const next = this.tiles[this.tiles.indexOf(tile) + 1];
    this.container.insertBefore(tile.element, next?.element ?? null);
    tile.tick(Date.now());
    this.timer ??= setInterval(() => {
      const now = Date.now();
      for (const each of this.tiles) each.tick(now);
    }, 1000);
  }

  remove(tile: LiveTile): void {
    const index = this.tiles.indexOf(tile);
    if (index >= 0) this.tiles.splice(index, 1);
    tile.close();
  }

  private rank(tile: LiveTile): number {
    const index = this.order.indexOf(tile.deviceId);
    return index < 0 ? this.order.length : index;
  }
}
