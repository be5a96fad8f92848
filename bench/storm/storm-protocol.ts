/** Messages between bench:storm and its fleet workers (one worker: a share of the devices). */

export interface FleetSetup {
  /** The relay nodes; device d connects to node d mod K (a balancer that keeps a device on its node). */
  readonly relayUrls: readonly string[];
  /** Devices [from, to) of the whole fleet. */
  readonly from: number;
  readonly to: number;
  /** 0: every device connects from 127.0.0.1; N: device d lives in home ⌊d/N⌋, from homeAddress(home). */
  readonly devicesPerHome: number;
}

/** A home's own loopback address, 127.1.0.1 onwards (Linux routes all of 127.0.0.0/8 to lo). */
export function homeAddress(home: number): string {
  const n = home + 1;
  if (n > 0xfffe) throw new Error('at most 65,534 homes');
  return `127.1.${n >> 8}.${n & 255}`;
}

export type ToFleet =
  | { readonly type: 'setup'; readonly setup: FleetSetup }
  /** Every device connects (its first authentication); answered when all are connected or the bound passed. */
  | { readonly type: 'connect'; readonly timeoutMs: number }
  /** Every device forgets its token and drops its connection at once; answered when all are back or the bound passed. */
  | { readonly type: 'drop'; readonly timeoutMs: number }
  /** Counts disconnections per second for a while (the echo check). */
  | { readonly type: 'watch'; readonly seconds: number }
  | { readonly type: 'finish' };

/** Why an attempt to connect failed, as the device saw it (a closed set: the report's keys). */
export const FAILURE_KINDS = [
  'over-capacity',
  'rate-limited',
  'token-refused',
  'timeout',
  'connection-failed',
  'other',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Back {
  /** Per device back: milliseconds from the start (connect or drop) until connected. */
  readonly ms: number[];
  /** Devices not back within the bound. */
  readonly missing: number;
}

export type FromFleet =
  | { readonly type: 'ready' }
  | { readonly type: 'back'; readonly back: Back }
  /** `watch`: disconnections in each second of the window; connected devices at its end. */
  | { readonly type: 'watched'; readonly perSecond: number[]; readonly connected: number }
  | {
      readonly type: 'finished';
      readonly failures: Record<FailureKind, number>;
      /** Connections the relay closed as replaced by a newer one of the same device. */
      readonly replaced: number;
      /** Connections the relay closed at their token's expiry. */
      readonly expiredCloses: number;
    }
  | { readonly type: 'failed'; readonly message: string };
