/**
 * Fan-out between relay processes. Messages are opaque bytes (sealed frames with a routing
 * prefix, manifests, event notices). Local subscribers are served by the live hub directly; the bus
 * only carries what other processes need.
 */
export type BusListener = (message: Uint8Array, channel: string) => void;

export interface Bus {
  readonly kind: 'local' | 'redis';
  /**
   * Fire-and-forget: never awaited per frame. The message is `parts` one after another: the bus
   * copies them once, into its own framing (a frame is not copied again to add a routing header).
   * A `droppable` message (a live frame) is refused sooner than others when the bus is backed up,
   * so frames cannot crowd out manifests and notices. Resolves to how many other processes'
   * subscriptions received it (0 lets a publisher skip non-keyframes nobody elsewhere wants), or -1
   * if unknown or not sent.
   */
  publish(channel: string, parts: readonly Uint8Array[], droppable?: boolean): Promise<number>;
  /** Adds a listener; the first listener of a channel subscribes the process to it. */
  subscribe(channel: string, listener: BusListener): Promise<void>;
  /** Removes a listener; the last one unsubscribes the process. */
  unsubscribe(channel: string, listener: BusListener): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

const LIVE_CHANNEL = 'live:';

/** Channel names, one pair per device (sharded by device id on Redis >= 7); the bus adds its prefix. */
export const channel = {
  /** Live frames and manifests of a device. */
  device: (deviceId: string) => `${LIVE_CHANNEL}${deviceId}`,
  /** The device whose live channel this is; null for another channel. */
  liveDevice: (name: string): string | null =>
    name.startsWith(LIVE_CHANNEL) ? name.slice(LIVE_CHANNEL.length) : null,
  /** Event notices for viewers and mailbox notices for the device. */
  events: (deviceId: string) => `events:${deviceId}`,
};
