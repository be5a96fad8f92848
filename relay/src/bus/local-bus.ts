import type { Bus, BusListener } from './bus.js';

/** Single-process bus: there is no other process, so nothing is ever delivered. */
export class LocalBus implements Bus {
  readonly kind = 'local';

  async publish(_channel: string, _parts: readonly Uint8Array[], _droppable?: boolean): Promise<number> {
    return 0;
  }

  async subscribe(_channel: string, _listener: BusListener): Promise<void> {}

  async unsubscribe(_channel: string, _listener: BusListener): Promise<void> {}

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
