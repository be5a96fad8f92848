import { MemoryKeyStore, Viewer } from '@sealcam/client';
import {
  type DeviceId,
  decodeLiveMessage,
  type EventId,
  encodeControl,
  FRAME_HEADER_BYTES,
  isEventId,
  WireType,
} from '@sealcam/protocol';
import { liveProtocols, liveUrl, RelayError, RelaySession } from '@sealcam/relay-client';
import WebSocket from 'ws';
import { digest, readMarker } from './content.js';
import { itemHeaderBytes } from './plaintext.js';
import { STREAM_ID } from './sim-device.js';
import type { DrillViewer } from './sim-viewer.js';
import { countRejection, kindOfPath, serve, unexpected, type WorkerTally } from './tally.js';
import { observe, type ServedResponse } from './wire-tap.js';

/**
 * The plaintext baseline's viewer: the app of a service without end-to-end sealing. It pairs like
 * any viewer (so the relay's grants are the same), then trusts the service's mapping: whatever the
 * relay serves for its camera is shown. Comparison runs only.
 */
export class PlainViewer implements DrillViewer {
  private viewer!: Viewer;
  private session!: RelaySession;
  private paired: DeviceId | null = null;
  private socket: WebSocket | null = null;
  liveFrames = 0;

  private constructor(
    readonly home: number,
    private readonly relayUrl: string,
    private readonly tally: WorkerTally,
  ) {}

  static async create(home: number, relayUrl: string, tally: WorkerTally): Promise<PlainViewer> {
    const plain = new PlainViewer(home, relayUrl, tally);
    plain.viewer = await Viewer.open({ store: new MemoryKeyStore() });
    plain.session = new RelaySession(relayUrl, plain.viewer.keys);
    return plain;
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

  /** Shows a picture: with no sealing there is nothing to check, so another home's picture is an exposure. */
  private show(picture: Uint8Array): void {
    const marker = readMarker(picture);
    if (!marker) return;
    if (marker.home === this.home) {
      this.tally.ownPicturesShown++;
      return;
    }
    // Nothing sealed: showing it is opening it (the report calls these exposures).
    this.tally.openedByWrongViewer++;
  }

  private record(served: ServedResponse[]): void {
    for (const response of served) {
      const kind = kindOfPath(response.path);
      if (kind === null || kind === 'listing') continue;
      serve(this.tally, this.home, kind, digest(response.bytes), kind !== 'record');
    }
  }

  private async get(path: string): Promise<Uint8Array | null> {
    const result = await observe(() => this.session.request('GET', path));
    this.record(result.served);
    if (result.ok) return result.value.bytes;
    countRejection(this.tally, result.error instanceof RelayError ? 'RELAY_ERROR' : unexpected(result.error));
    return null;
  }

  async readStored(): Promise<void> {
    const base = `/v1/devices/${this.deviceId}/events`;
    const eventIds: EventId[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page++) {
      const bytes = await this.get(`${base}?limit=50${after ? `&after=${after}` : ''}`);
      if (!bytes) break;
      const listing = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
        events: { eventId: string }[];
        next: string | null;
      };
      for (const entry of listing.events) serve(this.tally, this.home, 'listing', entry.eventId, false);
      // An entry whose id is not an event id cannot be requested.
      eventIds.push(...listing.events.map((event) => event.eventId).filter(isEventId));
      if (!listing.next) break;
      after = listing.next;
    }
    this.tally.eventsListed += eventIds.length;
    for (const eventId of eventIds) {
      if (await this.get(`${base}/${eventId}`)) this.tally.eventsOpened++;
      const thumbnail = await this.get(`${base}/${eventId}/thumbnail`);
      if (thumbnail) this.show(thumbnail.subarray(itemHeaderBytes('thumbnail')));
      const chunk = await this.get(`${base}/${eventId}/chunks/0`);
      if (chunk) this.show(chunk.subarray(itemHeaderBytes('chunk')));
    }
  }

  startLive(): void {
    void liveProtocols(this.session).then((protocols) => {
      const socket = new WebSocket(liveUrl(this.relayUrl), protocols, { perMessageDeflate: false });
      this.socket = socket;
      socket.on('open', () =>
        socket.send(encodeControl({ op: 'subscribe', deviceId: this.deviceId, streamId: STREAM_ID })),
      );
      socket.on('error', () => countRejection(this.tally, 'RELAY_ERROR'));
      socket.on('message', (data, isBinary) => {
        if (!isBinary) return;
        try {
          const message = decodeLiveMessage(new Uint8Array(data as Buffer));
          const frame = message.type === WireType.LiveFrame;
          serve(this.tally, this.home, frame ? 'frame' : 'manifest', digest(message.payload), frame);
          if (!frame) return;
          this.liveFrames++;
          this.tally.liveFramesShown++;
          this.show(message.payload.subarray(FRAME_HEADER_BYTES));
        } catch {
          // not a live message
        }
      });
    });
  }

  stopLive(): number {
    this.socket?.close(1000, 'done');
    this.socket = null;
    return this.liveFrames;
  }

  close(): void {
    this.stopLive();
    this.viewer.close();
  }
}
