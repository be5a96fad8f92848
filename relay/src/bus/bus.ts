/**
 * Fan-out between relay processes. Messages are opaque bytes (sealed frames with a routing
 * prefix, manifests, event notices). Local subscribers are served by the live hub directly; the bus
 * only carries what other processes need.
 */
export type BusListener = (message: Uint8Array) => void;

export interface Bus {
  readonly kind: 'local' | 'redis';
  /**
   * Fire-and-forget: never awaited per frame. The message is `parts` one after another: the bus
   * copies them once, into its own framing (a frame is not copied again to add a routing header).
   * Resolves to how many other processes' subscriptions received it (0 lets a publisher skip
   * non-keyframes nobody elsewhere wants), or -1 if unknown or not sent.
   */
  publish(channel: string, parts: readonly Uint8Array[]): Promise<number>;
  /** Adds a listener; the first listener of a channel subscribes the process to it. */
  subscribe(channel: string, listener: BusListener): Promise<void>;
  /** Removes a listener; the last one unsubscribes the process. */
  unsubscribe(channel: string, listener: BusListener): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

/** Channel names, one pair per device (sharded by device id on Redis >= 7); the bus adds its prefix. */
export const channel = {
  /** Live frames and manifests of a device. */
  device: (deviceId: string) => `live:${deviceId}`,
  /** Event notices for viewers and mailbox notices for the device. */
  events: (deviceId: string) => `events:${deviceId}`,
};
