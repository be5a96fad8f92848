import {
  type DeviceId,
  type EventId,
  type LiveFrame,
  MemoryKeyStore,
  type Subscription,
  Viewer,
  ViewerError,
} from '@sealcam/client';
import { decodeLiveMessage, WireType } from '@sealcam/protocol';
import { digest, readMarker } from './content.js';
import { STREAM_ID } from './sim-device.js';
import { countRejection, kindOfPath, serve, unexpected, type WorkerTally } from './tally.js';
import { observe, type ServedResponse, tappedWebSocket } from './wire-tap.js';

/** The viewer side of a drill home: pairs, reads what it is served, watches live. */
export interface DrillViewer {
  readonly home: number;
  pair(code: string, index: number): Promise<void>;
  readStored(): Promise<void>;
  startLive(): void;
  /** Ends the live view; returns the number of live pictures shown. */
  stopLive(): number;
  readonly liveFrames: number;
  close(): void;
}

interface LiveRecord {
  accepted: boolean;
  rejected: boolean;
}

/**
 * A viewer using the real SDK (`@sealcam/client`) exactly as an app does. The harness only
 * watches: what the relay served (on the wire) and what the SDK accepted or refused.
 */
export class SealedViewer implements DrillViewer {
  private viewer!: Viewer;
  private paired: DeviceId | null = null;
  private current: LiveRecord | null = null;
  private subscription: Subscription | null = null;
  liveFrames = 0;

  private constructor(
    readonly home: number,
    private readonly tally: WorkerTally,
  ) {}

  static async create(home: number, tally: WorkerTally): Promise<SealedViewer> {
    const sim = new SealedViewer(home, tally);
    sim.viewer = await Viewer.open({
      store: new MemoryKeyStore(),
      WebSocket: tappedWebSocket((bytes, deliver) => sim.onWire(bytes, deliver)),
    });
    return sim;
  }

  async pair(code: string, index: number): Promise<void> {
    const camera = await this.viewer.pair(code, {
      name: `drill-viewer-${this.home}-${index}`,
      timeoutMs: 300_000,
    });
    this.paired = camera.deviceId;
  }

  /** The camera this viewer paired with. */
  private get deviceId(): DeviceId {
    if (!this.paired) throw new Error('the drill viewer has not paired yet');
    return this.paired;
  }

  /**
   * Records what the relay served during one SDK call, marked accepted when the call succeeded: only
   * the last answer for each path, since the SDK asks again for an object it refused (misdelivered).
   */
  private record(served: ServedResponse[], accepted: boolean): void {
    const lastForPath = new Map(served.map((response, index) => [response.path, index]));
    for (const [index, response] of served.entries()) {
      const kind = kindOfPath(response.path);
      if (kind === null) continue;
      if (kind === 'listing') {
        const listing = JSON.parse(Buffer.from(response.bytes).toString('utf8')) as {
          events: { eventId: string }[];
        };
        for (const entry of listing.events) serve(this.tally, this.home, 'listing', entry.eventId, false);
      } else
        serve(
          this.tally,
          this.home,
          kind,
          digest(response.bytes),
          accepted && lastForPath.get(response.path) === index,
        );
    }
  }

  private refused(error: unknown): void {
    countRejection(this.tally, error instanceof ViewerError ? error.reason : unexpected(error));
  }

  /** A picture the SDK accepted: it must be this home's, from this home's camera. */
  private shown(image: Uint8Array): void {
    const marker = readMarker(image);
    if (marker && marker.home === this.home) {
      this.tally.ownPicturesShown++;
      return;
    }
    this.tally.openedByWrongViewer++;
    this.tally.acceptedForeignContent++;
  }

  /** Lists every event (all pages) and opens each: record, thumbnail, clip. */
  async readStored(): Promise<void> {
    const eventIds: EventId[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await observe(() =>
        this.viewer.events(this.deviceId, { limit: 50, ...(after ? { after } : {}) }),
      );
      this.record(result.served, false);
      if (!result.ok) {
        this.refused(result.error);
        break;
      }
      eventIds.push(...result.value.events.map((event) => event.eventId));
      if (!result.value.next) break;
      after = result.value.next;
    }
    this.tally.eventsListed += eventIds.length;
    for (const eventId of eventIds) {
      const record = await observe(() => this.viewer.openEvent(this.deviceId, eventId));
      this.record(record.served, record.ok);
      if (record.ok) this.tally.eventsOpened++;
      else this.refused(record.error);
      const thumbnail = await observe(() => this.viewer.thumbnail(this.deviceId, eventId));
      this.record(thumbnail.served, thumbnail.ok);
      if (thumbnail.ok) this.shown(thumbnail.value);
      else this.refused(thumbnail.error);
      const clip = await observe(() => this.viewer.clip(this.deviceId, eventId));
      this.record(clip.served, clip.ok);
      if (clip.ok) for (const frame of clip.value) this.shown(frame.image);
      else this.refused(clip.error);
      if (record.ok && thumbnail.ok && clip.ok) this.tally.eventsComplete++;
    }
  }

  startLive(): void {
    this.subscription = this.viewer.watch(this.deviceId, STREAM_ID, {
      onFrame: (frame: LiveFrame) => {
        if (this.current) this.current.accepted = true;
        this.liveFrames++;
        this.tally.liveFramesShown++;
        this.shown(frame.data);
      },
      onRejected: (error) => {
        if (this.current) this.current.rejected = true;
        countRejection(this.tally, error.reason);
      },
    });
  }

  /** Every binary live message, before the SDK handles it. */
  private onWire(bytes: Uint8Array, deliver: () => void): void {
    let kind: 'manifest' | 'frame' | null = null;
    let key = '';
    try {
      const message = decodeLiveMessage(bytes);
      if (message.type !== WireType.LiveClock)
        kind = message.type === WireType.LiveManifest ? 'manifest' : 'frame';
      key = digest(message.payload);
    } catch {
      // not a live message: the SDK drops it, nothing to record
    }
    const record: LiveRecord = { accepted: false, rejected: false };
    this.current = record;
    try {
      deliver();
    } finally {
      this.current = null;
    }
    // A manifest is accepted silently (no callback) unless it was refused: count it as accepted,
    // which can only over-count acceptedForeign, never hide one.
    if (kind)
      serve(this.tally, this.home, kind, key, kind === 'manifest' ? !record.rejected : record.accepted);
  }

  stopLive(): number {
    this.subscription?.close();
    this.subscription = null;
    return this.liveFrames;
  }

  close(): void {
    this.stopLive();
    this.viewer.close();
  }
}
