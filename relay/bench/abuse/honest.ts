import { setTimeout as sleep } from 'node:timers/promises';
import {
  Access,
  Codec,
  createAccessList,
  createIdentity,
  EventSealer,
  encodeLiveMessage,
  FrameSealer,
  formatId,
  type Identity,
  Role,
  sealManifest,
  utf8,
  WireType,
} from '@sealcam/protocol';
import { RelaySession, retryWithBackoff } from '@sealcam/relay-client';
import WebSocket from 'ws';
import { send } from './net.js';

/** The honest operations measured while an attack runs. */
export type HonestOperation = 'auth' | 'upload' | 'read' | 'live' | 'kept';

export interface HonestFailure {
  readonly operation: HonestOperation;
  readonly round: number;
  readonly detail: string;
}

export interface HonestReport {
  attempts: number;
  successes: number;
  /** Latency of every successful operation, ms. */
  readonly latenciesMs: number[];
  readonly failures: HonestFailure[];
  /** Logins that were told to wait (429/503 + Retry-After) and succeeded on a later attempt. */
  retriedLogins: number;
}

const STREAM = 'honest-cam';

/** A live connection that keeps every binary message it receives. */
interface Live {
  readonly ws: WebSocket;
  readonly received: Buffer[];
  readonly waiters: Set<() => void>;
}

function openLive(wsBase: string, token: string, timeoutMs: number): Promise<Live> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`], {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    const live: Live = { ws, received: [], waiters: new Set() };
    const wake = () => {
      for (const waiter of [...live.waiters]) waiter();
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) live.received.push(data as Buffer);
      else live.received.push(Buffer.concat([Buffer.from('C'), data as Buffer]));
      wake();
    });
    ws.on('close', wake);
    ws.once('open', () => resolve(live));
    ws.once('error', (error) => reject(error));
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`live upgrade answered ${response.statusCode}`));
      ws.terminate();
    });
  });
}

function waitFor(live: Live, check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      live.waiters.delete(poll);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const poll = () => {
      if (check()) {
        clearTimeout(timer);
        live.waiters.delete(poll);
        resolve();
      } else if (live.ws.readyState === WebSocket.CLOSED) {
        clearTimeout(timer);
        live.waiters.delete(poll);
        reject(new Error(`live connection closed while waiting for ${what}`));
      }
    };
    live.waiters.add(poll);
    poll();
  });
}

/**
 * An honest device and its owner, from the honest source (127.0.0.1), doing what a camera and its
 * app do: authenticate, upload an event, read it back, publish live frames the viewer receives; at
 * the end every event the relay acknowledged (the first before the attack) must still be there.
 */
export class HonestPair {
  readonly device: Identity = createIdentity(Role.Device);
  readonly viewer: Identity = createIdentity(Role.Viewer);
  private readonly deviceSession: RelaySession;
  private readonly viewerSession: RelaySession;
  private deviceLive: Live | null = null;
  private viewerLive: Live | null = null;
  private frames: FrameSealer | null = null;
  private round = 0;
  /** Every event the relay acknowledged (the first before the attack): none may be lost. */
  private readonly stored: string[] = [];
  readonly report: HonestReport = {
    attempts: 0,
    successes: 0,
    latenciesMs: [],
    failures: [],
    retriedLogins: 0,
  };

  constructor(
    private readonly base: string,
    private readonly wsBase: string,
    /** Bound on each operation (generous: the machine is shared). */
    private readonly timeoutMs = 30_000,
  ) {
    this.deviceSession = new RelaySession(base, this.device, { timeoutMs });
    this.viewerSession = new RelaySession(base, this.viewer, { timeoutMs });
  }

  get deviceId(): string {
    return formatId(this.device.card.id);
  }

  /** Registers the viewer on the device's access list; before any attack starts. */
  async setUp(): Promise<void> {
    const token = await this.deviceSession.bearer();
    const list = createAccessList({
      device: this.device,
      version: 1,
      issuedAt: Date.now(),
      entries: [{ viewerId: this.viewer.card.id, access: Access.Owner }],
    });
    const stored = await send(this.base, `/v1/devices/${this.deviceId}/access-list`, {
      method: 'PUT',
      token,
      body: list,
      timeoutMs: this.timeoutMs,
    });
    if (stored.status !== 201) throw new Error(`honest access list: ${stored.status} ${stored.reason}`);
    await this.viewerSession.bearer();
    await this.uploadEvent(0);
  }

  /** One round of every honest operation; failures are recorded, never thrown. */
  async runRound(): Promise<void> {
    const round = ++this.round;
    let eventId: string | null = null;
    await this.measure('auth', round, async () => {
      // A fresh login each round: the challenge and token routes are what attacks aim at. Like the
      // device agent, an honest client told to wait (429/503 + Retry-After) waits and tries again.
      const session = new RelaySession(this.base, this.device, { timeoutMs: this.timeoutMs });
      await retryWithBackoff(() => session.bearer(), {
        signal: AbortSignal.timeout(this.timeoutMs),
        maxAttempts: 4,
        startingDelayMs: 250,
        onRetry: () => {
          this.report.retriedLogins += 1;
        },
      });
    });
    await this.measure('upload', round, async () => {
      eventId = await this.uploadEvent(round);
    });
    if (eventId) {
      const id = eventId;
      await this.measure('read', round, async () => {
        const token = await this.viewerSession.bearer();
        const read = await send(this.base, `/v1/devices/${this.deviceId}/events/${id}`, {
          token,
          timeoutMs: this.timeoutMs,
        });
        if (read.status !== 200) throw new Error(`read event: ${read.status} ${read.reason ?? read.error}`);
      });
    }
    await this.measure('live', round, () => this.liveFrame(round));
  }

  /** Once the attack is over: every event the relay acknowledged is still there, clip and all. */
  async checkKept(): Promise<void> {
    await this.measure('kept', this.round, async () => {
      const token = await this.viewerSession.bearer();
      for (const eventId of this.stored) {
        const path = `/v1/devices/${this.deviceId}/events/${eventId}/chunks/0`;
        let read = await send(this.base, path, { token, timeoutMs: this.timeoutMs });
        // Hundreds of reads in a row meet the viewer's own request rate: wait as the relay says.
        for (let retry = 0; retry < 10 && read.status === 429; retry++) {
          await sleep(Math.min(5, read.retryAfterSeconds ?? 1) * 1000);
          read = await send(this.base, path, { token, timeoutMs: this.timeoutMs });
        }
        if (read.status !== 200)
          throw new Error(
            `event ${this.stored.indexOf(eventId)} of ${this.stored.length} lost: ${read.status} ${read.reason ?? read.error}`,
          );
      }
    });
  }

  /** Rounds back to back (with `pauseMs` between) until `stop` resolves; then the last round finishes. */
  async runUntil(stop: Promise<unknown>, pauseMs: number): Promise<HonestReport> {
    let stopped = false;
    void stop.then(
      () => {
        stopped = true;
      },
      () => {
        stopped = true;
      },
    );
    while (!stopped) {
      await this.runRound();
      if (!stopped) await sleep(pauseMs);
    }
    return this.report;
  }

  close(): void {
    this.deviceLive?.ws.terminate();
    this.viewerLive?.ws.terminate();
  }

  private async measure(operation: HonestOperation, round: number, work: () => Promise<void>) {
    this.report.attempts += 1;
    const started = performance.now();
    try {
      await work();
      this.report.successes += 1;
      this.report.latenciesMs.push(performance.now() - started);
    } catch (error) {
      this.report.failures.push({ operation, round, detail: String((error as Error).message ?? error) });
    }
  }

  private async uploadEvent(round: number): Promise<string> {
    const token = await this.deviceSession.bearer();
    const sealer = new EventSealer({ device: this.device, streamId: STREAM });
    const eventId = formatId(sealer.eventId);
    const path = `/v1/devices/${this.deviceId}/events/${eventId}`;
    const thumbnail = sealer.sealThumbnail(utf8(`thumbnail ${round}`));
    const chunk = sealer.sealClipChunk(new Uint8Array(16 * 1024).fill(round % 251), true);
    const envelope = sealer.finish(
      {
        kind: 'motion',
        start: Date.now(),
        end: Date.now() + 1000,
        score: 0.5,
        labels: [],
        clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 1 },
      },
      [this.viewer.card],
    );
    for (const [suffix, body] of [
      ['/thumbnail', thumbnail],
      ['/chunks/0', chunk],
      ['', envelope],
    ] as const) {
      const put = await send(this.base, path + suffix, {
        method: 'PUT',
        token,
        body,
        timeoutMs: this.timeoutMs,
      });
      if (put.status !== 201 && put.status !== 200)
        throw new Error(`upload${suffix || ' envelope'}: ${put.status} ${put.reason ?? put.error}`);
    }
    this.stored.push(eventId);
    return eventId;
  }

  /** The device (re)connects and announces its stream; the viewer (re)connects and subscribes. */
  private async connect(): Promise<{ device: Live; viewer: Live; frames: FrameSealer }> {
    if (!this.deviceLive || this.deviceLive.ws.readyState !== WebSocket.OPEN || !this.frames) {
      this.deviceLive?.ws.terminate();
      this.deviceLive = await openLive(this.wsBase, await this.deviceSession.bearer(), this.timeoutMs);
      const now = Date.now();
      const manifest = sealManifest({
        device: this.device,
        streamId: STREAM,
        epoch: this.round,
        notBefore: now - 1000,
        notAfter: now + 3_600_000,
        previous: null,
        recipients: [this.viewer.card],
      });
      this.deviceLive.ws.send(
        encodeLiveMessage({
          type: WireType.LiveManifest,
          deviceId: this.device.card.id,
          streamId: STREAM,
          payload: manifest.bytes,
        }),
      );
      this.frames = new FrameSealer({
        deviceId: this.device.card.id,
        streamId: STREAM,
        epoch: this.round,
        epochKey: manifest.epochKey,
      });
    }
    if (!this.viewerLive || this.viewerLive.ws.readyState !== WebSocket.OPEN) {
      this.viewerLive?.ws.terminate();
      const viewer = await openLive(this.wsBase, await this.viewerSession.bearer(), this.timeoutMs);
      this.viewerLive = viewer;
      viewer.ws.send(JSON.stringify({ op: 'subscribe', deviceId: this.deviceId, streamId: STREAM }));
      const subscribed = Buffer.from('C{"op":"subscribed"');
      await waitFor(
        viewer,
        () => viewer.received.some((m) => m.subarray(0, subscribed.length).equals(subscribed)),
        this.timeoutMs,
        'the subscription',
      );
    }
    return { device: this.deviceLive, viewer: this.viewerLive, frames: this.frames };
  }

  /** A keyframe the device publishes reaches the viewer, byte for byte as the device sent it. */
  private async liveFrame(round: number): Promise<void> {
    const { device, viewer, frames } = await this.connect();
    const message = Buffer.from(
      encodeLiveMessage({
        type: WireType.LiveFrame,
        deviceId: this.device.card.id,
        streamId: STREAM,
        payload: frames.seal(utf8(`honest frame ${round}`), { keyframe: true, codec: Codec.Jpeg }),
      }),
    );
    device.ws.send(message);
    await waitFor(viewer, () => viewer.received.some((m) => m.equals(message)), this.timeoutMs, 'the frame');
    viewer.received.length = 0;
  }
}

/** The q-quantile (0 … 1) of the samples, ms; 0 without samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
