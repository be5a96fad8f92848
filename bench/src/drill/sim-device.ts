import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ClockAnswers,
  completePairing,
  createInvitation,
  LiveConnection,
  LiveStreamSealer,
  loadViewerState,
  type OutboxEntry,
  registerAccessList,
  type StatePaths,
  sealRecordedEvent,
  silentLogger,
  statePaths,
  Uploader,
} from '@sealcam/device-agent';
import {
  CLIP_CONTAINER_TYPE,
  Codec,
  createIdentity,
  currentRecipients,
  type DeviceId,
  decodeLiveMessage,
  deviceIdOf,
  encodeClipChunk,
  encodeLiveMessage,
  formatId,
  type Identity,
  type IdentityCard,
  parseStreamId,
  Role,
  type StreamId,
} from '@sealcam/protocol';
import { RelaySession } from '@sealcam/relay-client';
import { digest, markedJpeg } from './content.js';
import { unsealedFrame, unsealedItem } from './plaintext.js';
import type { WorkerTally } from './tally.js';

export const STREAM_ID: StreamId = parseStreamId('cam1');

/** An in-memory outbox for the agent's Uploader (the drill's devices have no disk to survive). */
class MemoryQueue {
  private readonly entries = new Map<string, OutboxEntry>();
  list(): string[] {
    return [...this.entries.keys()];
  }
  has(id: string): boolean {
    return this.entries.has(id);
  }
  async read(id: string): Promise<OutboxEntry | undefined> {
    return this.entries.get(id);
  }
  async remove(id: string): Promise<void> {
    this.entries.delete(id);
  }
  put(entry: OutboxEntry): void {
    this.entries.set(formatId(entry.eventId), entry);
  }
  get size(): number {
    return this.entries.size;
  }
}

export interface SimDeviceOptions {
  readonly relayUrl: string;
  readonly home: number;
  readonly stateRoot: string;
  /** Plaintext baseline: content bodies travel unsealed behind the same public headers. */
  readonly plaintext: boolean;
  readonly template: Uint8Array;
  readonly tally: WorkerTally;
}

/**
 * A simulated camera gateway made of the device agent's own parts: its relay session
 * (challenge-signed auth), pairing, access-list registration, event sealing and uploader, live
 * stream sealer and live connection (backoff with jitter, Retry-After). Only the camera is
 * simulated: pictures are a small JPEG carrying the harness's marker.
 */
export class SimDevice {
  readonly identity: Identity = createIdentity(Role.Device);
  readonly session: RelaySession;
  private readonly paths: StatePaths;
  private readonly sealer: LiveStreamSealer;
  private readonly queue = new MemoryQueue();
  private readonly uploader: Uploader;
  private live: LiveConnection | null = null;
  private recipients: IdentityCard[] = [];
  private readonly made: OutboxEntry[] = [];
  private frames = 0;

  constructor(private readonly options: SimDeviceOptions) {
    this.session = new RelaySession(options.relayUrl, this.identity);
    this.paths = statePaths(join(options.stateRoot, `device-${options.home}`));
    this.sealer = new LiveStreamSealer({
      device: this.identity,
      streamId: STREAM_ID,
      previousManifest: null,
      rotateEveryMs: 3_600_000,
      keyframeEveryMs: 1000,
    });
    this.uploader = new Uploader(this.session, this.queue, silentLogger, {
      startingDelayMs: 500,
      maxDelayMs: 10_000,
    });
  }

  get deviceId(): DeviceId {
    return deviceIdOf(this.identity.card.id);
  }

  private picture(object: string): Uint8Array {
    return markedJpeg(this.options.template, { home: this.options.home, object });
  }

  private truth(key: string): void {
    this.options.tally.truth.push([key, this.options.home]);
  }

  /** Shows a pairing code and answers the viewer that uses it (the agent's pairing code path). */
  async pair(viewerPairs: (code: string) => Promise<unknown>): Promise<void> {
    await mkdir(this.paths.root, { recursive: true, mode: 0o700 });
    // As `sealcam-agent pair` does: the device is known to the relay before its code is shown.
    await this.session.bearer();
    const invitation = createInvitation(this.identity, this.options.relayUrl, 10 * 60_000);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5 * 60_000);
    try {
      await Promise.all([
        completePairing({
          device: this.identity,
          invitation,
          session: this.session,
          paths: this.paths,
          log: silentLogger,
          signal: abort.signal,
          pollMs: 250,
        }),
        viewerPairs(invitation.code),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** After pairing: registers the access list and starts the first live epoch for its viewers. */
  async activate(): Promise<void> {
    const state = await loadViewerState(this.paths, this.identity.card.id);
    this.recipients = currentRecipients(state.list, Date.now());
    await registerAccessList(this.session, this.identity, this.paths);
    const prepared = this.sealer.prepare(this.recipients, Date.now());
    if (!prepared) throw new Error('no viewer to seal for');
    this.truth(digest(prepared.manifest));
    this.sealer.activate(prepared);
  }

  /** Records one motion event (thumbnail and a two-picture clip), sealed, and queues it. */
  recordEvent(n: number): void {
    const start = Date.now() - 5000;
    const thumbnail = this.picture(`event${n}:thumbnail`);
    const chunk = encodeClipChunk([
      { capturedAt: start, image: this.picture(`event${n}:clip0`) },
      { capturedAt: start + 500, image: this.picture(`event${n}:clip1`) },
    ]);
    const sealed = sealRecordedEvent(
      this.identity,
      {
        cameraId: STREAM_ID,
        start,
        end: start + 3000,
        score: 0.5,
        thumbnail,
        chunks: [chunk],
        clip: { codec: Codec.Jpeg, type: CLIP_CONTAINER_TYPE, frames: 2 },
      },
      this.recipients,
    );
    const entry: OutboxEntry = this.options.plaintext
      ? {
          ...sealed,
          thumbnail: unsealedItem(sealed.thumbnail!, thumbnail, 'thumbnail'),
          chunks: [unsealedItem(sealed.chunks[0]!, chunk, 'chunk')],
        }
      : sealed;
    this.truth(formatId(entry.eventId));
    this.truth(digest(entry.envelope));
    if (entry.thumbnail) this.truth(digest(entry.thumbnail));
    for (const item of entry.chunks) this.truth(digest(item));
    this.made.push(entry);
    this.queue.put(entry);
  }

  /** Queues the first event again, byte for byte: a retried upload must not duplicate it. */
  requeueFirstEvent(): void {
    const first = this.made[0];
    if (first) this.queue.put(first);
  }

  /** Delivers the queue through the agent's uploader; resolves when the relay acknowledged all of it. */
  async deliver(timeoutMs: number): Promise<void> {
    this.uploader.start();
    this.uploader.wake();
    const deadline = Date.now() + timeoutMs;
    while (this.queue.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`events not delivered in time: ${this.uploader.lastError ?? 'no answer'}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Opens the live connection; resolves with the milliseconds it took until connected. */
  connect(): Promise<number> {
    const started = performance.now();
    return new Promise((resolve) => {
      const live = new LiveConnection(
        this.session,
        {
          onOpen: (send) => {
            const manifest = this.sealer.currentManifestMessage;
            if (manifest) send(manifest);
            this.sealer.requestKeyframe();
          },
          onControl: (message) => {
            if (message.op === 'keyframe') this.sealer.requestKeyframe();
            if (message.op === 'clock' && message.streamId === STREAM_ID)
              this.clockAnswers.ask(message.streamId, message.nonce);
          },
          onStateChange: (state) => {
            if (state === 'connected') resolve(performance.now() - started);
          },
        },
        silentLogger,
        { startingDelayMs: 1000, maxDelayMs: 30_000 },
      );
      this.live = live;
      live.start();
    });
  }

  /** Answers viewers' clock questions as the agent does, so that the drill's live frames are placed in time. */
  private readonly clockAnswers = new ClockAnswers(
    this.identity,
    (message) => this.live?.send(message, 'manifest') ?? false,
  );

  async disconnect(): Promise<void> {
    const live = this.live;
    this.live = null;
    await live?.stop();
  }

  /** Seals and publishes one live picture (keyframe on request and every second). */
  sendFrame(): boolean {
    const picture = this.picture(`frame${this.frames++}`);
    const now = Date.now();
    let message = this.sealer.sealFrame(picture, now, now);
    if (!message) return false;
    const live = decodeLiveMessage(message);
    let payload = live.payload;
    if (this.options.plaintext) {
      payload = unsealedFrame(payload, picture);
      message = encodeLiveMessage({ ...live, payload });
    }
    this.truth(digest(payload));
    return this.live?.send(message) ?? false;
  }

  async close(): Promise<void> {
    await this.disconnect();
    await this.uploader.stop();
    this.clockAnswers.stop();
    this.sealer.retire();
  }
}
