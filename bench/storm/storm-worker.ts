import { LiveConnection } from '@sealcam/device-agent';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import { RelaySession } from '@sealcam/relay-client';
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { failureKind } from './failure-kind.js';
import {
  type Back,
  FAILURE_KINDS,
  type FailureKind,
  type FleetSetup,
  type FromFleet,
  homeAddress,
  type ToFleet,
} from './storm-protocol.js';

/**
 * One fleet worker of bench:storm: a share of the devices, each made of the device agent's own
 * relay session (challenge-signed authentication) and live connection (reconnects with backoff and
 * full jitter, honours Retry-After, re-authenticates on 401/4401), with the agent's backoff (1 s
 * first, 60 s at most). No camera: a storm is about connections.
 */

const failures = Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])) as Record<FailureKind, number>;
let replaced = 0;
let expiredCloses = 0;
/** Disconnections (a connected device going back to connecting), per second since `watchStart`. */
let watch: { start: number; perSecond: number[] } | null = null;

/** The live connection's log is where its failed attempts are said: counted by kind, nothing printed. */
const countingLog = pino(
  { level: 'warn' },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; reason?: string };
      if (entry.msg === 'relay connection failed; backing off')
        failures[failureKind(entry.reason ?? '')] += 1;
    },
  },
);

interface Device {
  readonly session: RelaySession;
  readonly live: LiveConnection;
  connected: boolean;
  /** Set while a start (connect or drop) waits for this device to be connected. */
  waiter: ((at: number) => void) | null;
}

const devices: Device[] = [];

function send(message: FromFleet): void {
  process.send?.(message);
}

/** Per home: the fetch whose connections come from the home's address (one undici agent each). */
const homeFetches = new Map<string, typeof fetch>();
function fetchFrom(localAddress: string): typeof fetch {
  let homeFetch = homeFetches.get(localAddress);
  if (!homeFetch) {
    // undici's own fetch with its own agent (one version of both); its types differ from the DOM's.
    const dispatcher = new Agent({ localAddress });
    const bound = (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(input, { ...init, dispatcher });
    homeFetch = bound as unknown as typeof fetch;
    homeFetches.set(localAddress, homeFetch);
  }
  return homeFetch;
}

function makeDevice(relayUrl: string, localAddress: string | undefined): Device {
  const session = new RelaySession(
    relayUrl,
    createIdentity(Role.Device),
    localAddress ? { fetch: fetchFrom(localAddress) } : {},
  );
  const device: Device = {
    session,
    connected: false,
    waiter: null,
    live: new LiveConnection(
      session,
      {
        onOpen: () => undefined,
        onControl: () => undefined,
        onStateChange: (state) => {
          const now = performance.now();
          if (state === 'connected') {
            device.connected = true;
            device.waiter?.(now);
            device.waiter = null;
          } else if (device.connected) {
            device.connected = false;
            if (watch) {
              const second = Math.floor((now - watch.start) / 1000);
              if (second >= 0 && second < watch.perSecond.length) watch.perSecond[second]! += 1;
            }
          }
        },
        onClose: (close) => {
          if (close.reason === 'replaced') replaced += 1;
          if (close.reason === 'token-expired') expiredCloses += 1;
        },
      },
      countingLog,
      undefined,
      localAddress,
    ),
  };
  return device;
}

/** Resolves when every device is connected (each one's time from `started`) or at the bound. */
async function allBack(started: number, timeoutMs: number, begin: (device: Device) => void): Promise<Back> {
  const ms: number[] = [];
  const waits = devices.map(
    (device) =>
      new Promise<void>((resolve) => {
        device.waiter = (at) => {
          ms.push(at - started);
          resolve();
        };
        begin(device);
      }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(waits),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  for (const device of devices) device.waiter = null;
  return { ms, missing: devices.length - ms.length };
}

async function handle(message: ToFleet): Promise<FromFleet> {
  switch (message.type) {
    case 'setup': {
      await ready();
      const { relayUrls, from, to, devicesPerHome }: FleetSetup = message.setup;
      for (let d = from; d < to; d++) {
        const home = devicesPerHome > 0 ? homeAddress(Math.floor(d / devicesPerHome)) : undefined;
        devices.push(makeDevice(relayUrls[d % relayUrls.length]!, home));
      }
      return { type: 'ready' };
    }
    case 'connect':
      return {
        type: 'back',
        back: await allBack(performance.now(), message.timeoutMs, (device) => device.live.start()),
      };
    case 'drop': {
      // Tokens are discarded at the drop: each device authenticates again, as after an outage.
      const started = performance.now();
      return {
        type: 'back',
        back: await allBack(started, message.timeoutMs, (device) => {
          device.session.invalidate();
          device.live.reconnect();
        }),
      };
    }
    case 'watch': {
      const seconds = Math.max(1, Math.min(3600, Math.round(message.seconds)));
      watch = { start: performance.now(), perSecond: new Array<number>(seconds).fill(0) };
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const perSecond = watch.perSecond;
      watch = null;
      return { type: 'watched', perSecond, connected: devices.filter((device) => device.connected).length };
    }
    case 'finish': {
      await Promise.all(devices.map((device) => device.live.stop()));
      return { type: 'finished', failures, replaced, expiredCloses };
    }
  }
}

process.on('message', (message: ToFleet) => {
  handle(message).then(send, (error: unknown) =>
    send({ type: 'failed', message: String((error as Error)?.stack ?? error) }),
  );
});
