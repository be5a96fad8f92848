import {
  CLIP_MP4_TYPE,
  Codec,
  createIdentity,
  createPairRequest,
  type DeviceProfile,
  decodeClipChunk,
  decodeLiveMessage,
  decodeMediaPayload,
  deviceIdOf,
  encodeControl,
  FrameOpener,
  formatId,
  type Identity,
  type IdentityCard,
  openClip,
  openClipChunk,
  openEvent,
  openManifest,
  openPairResponse,
  openProfile,
  openThumbnail,
  pairingId,
  parsePairing,
  parseStreamId,
  Role,
  type StreamId,
  verifyAccessList,
  WireType,
} from '@sealcam/protocol';
import { liveProtocols, liveUrl, RelayError, RelaySession } from '@sealcam/relay-client';
import { until } from '@sealcam/testkit/poll';
import WebSocket from 'ws';

/** What a viewer opened of a live stream so far. */
export interface LiveWatch {
  /**
   * The opened frames' payloads, in arrival order: JPEGs (a timed JPEG, codec 6, without its capture
   * time); media payloads for the other timed codecs.
   */
  frames: Uint8Array[];
  /** The same frames with their sealed codec and keyframe flag. */
  opened: { codec: number; keyframe: boolean; payload: Uint8Array }[];
  epochs: Set<number>;
  /** Every rejection, by reason code. */
  rejected: string[];
  manifests: number;
  epochKeys: Uint8Array[];
}

/**
 * A viewer made of protocol calls and plain HTTP, for testing the agent end to end (the SDK of the
 * client package is built on the same calls).
 */
export class TestViewer {
  readonly identity: Identity;
  device: IdentityCard | null = null;
  /** Stream ids by camera name, once a profile named them. */
  private readonly streamIds = new Map<string, StreamId>();
  /** The one relay client; requests return raw answers (RelaySession.fetch) for the tests. */
  private readonly session: RelaySession;

  constructor(
    readonly base: string,
    identity?: Identity,
  ) {
    this.identity = identity ?? createIdentity(Role.Viewer);
    this.session = new RelaySession(base, this.identity, { timeoutMs: 60_000 });
  }

  get id(): string {
    return formatId(this.identity.card.id);
  }

  /** The relay's raw answer, for tests that inspect statuses; the session re-authenticates once on a 401. */
  async http(method: string, path: string, body?: Uint8Array): Promise<Response> {
    await retryOnSocketError(() => this.session.bearer());
    const send = () =>
      this.session.fetch(method, path, {
        body: body ?? null,
        contentType: body ? 'application/octet-stream' : undefined,
      });
    return method === 'GET' ? retryOnSocketError(send) : send();
  }

  /** Answers a pairing code the agent printed; resolves with the safety number. */
  async pair(code: string, name = 'test viewer', timeoutMs = 60_000): Promise<string> {
    const offer = parsePairing(code);
    const request = createPairRequest({ viewer: this.identity, offer, name, now: Date.now() });
    const path = `/v1/pairing/${formatId(offer.deviceId)}/${formatId(pairingId(offer.secret))}`;
    const posted = await this.http('POST', `${path}/request`, request);
    if (posted.status !== 202) throw new Error(`pair request: ${posted.status} ${await posted.text()}`);
    const reply = await until(
      async () => {
        const response = await this.http('GET', `${path}/response`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        return response.status === 200 ? bytes : null;
      },
      timeoutMs,
      "the agent's pairing response",
    );
    const result = openPairResponse(reply, { viewer: this.identity, offer, now: Date.now() });
    this.device = result.device;
    return result.safetyNumber;
  }

  async listEvents(): Promise<{ eventId: string; streamId: string; time: number }[]> {
    const all: { eventId: string; streamId: string; time: number }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const query: string = after ? `?after=${after}` : '';
      const response = await this.http('GET', `/v1/devices/${formatId(this.device!.id)}/events${query}`);
      if (!response.ok) throw new Error(`list: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { events: typeof all; next: string | null };
      all.push(...body.events);
      after = body.next;
      if (!after) break;
    }
    return all;
  }

  private async bytes(path: string): Promise<Uint8Array> {
    const response = await this.http('GET', path);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Fetches and opens one event: record, thumbnail and the frames of its clip. Throws SealError when it must. */
  async openEvent(eventId: string) {
    const base = `/v1/devices/${formatId(this.device!.id)}/events/${eventId}`;
    const event = openEvent(await this.bytes(base), { viewer: this.identity, device: this.device! });
    const thumbnail = event.record.thumbnail
      ? openThumbnail(await this.bytes(`${base}/thumbnail`), event)
      : null;
    const chunks: Uint8Array[] = [];
    for (let index = 0; index < (event.record.clip?.chunkHashes.length ?? 0); index++)
      chunks.push(await this.bytes(`${base}/chunks/${index}`));
    const frames: { capturedAt: number; image: Uint8Array }[] = [];
    let mp4: Uint8Array | null = null;
    if (event.record.clip?.type === CLIP_MP4_TYPE) {
      // An MP4 clip (PROTOCOL.md §7.14): the chunks' plaintexts, concatenated, are the file.
      mp4 = openClip(chunks, event);
    } else if (event.record.clip) {
      // The clip is the chunks' plaintexts in order; open them one by one to split frames per chunk.
      openClip(chunks, event);
      for (const [index, chunk] of chunks.entries())
        frames.push(...decodeClipChunk(openClipChunk(chunk, event, index).data));
    }
    return { record: event.record, thumbnail, frames, mp4, contentKey: event.key.slice() };
  }

  /**
   * Subscribes to a camera's live stream for a while and opens what arrives. Returns the opened
   * frames' JPEGs, the epochs seen and every rejection reason.
   */
  /**
   * The opaque stream id of the camera the device names `camera` (by default its configured id), as a
   * viewer learns it: from the sealed profile in the device's signed access list (PROTOCOL.md §9.3),
   * waiting until the device has registered one that names it. Remembered once found.
   */
  async streamOf(camera: string, timeoutMs = 60_000): Promise<StreamId> {
    const known = this.streamIds.get(camera);
    if (known) return known;
    const profile = await until(
      async () => {
        const profile = await this.profile().catch(() => null);
        return profile?.cameras.some((c) => c.name === camera) ? profile : null;
      },
      timeoutMs,
      `a profile naming camera ${camera}`,
    );
    for (const c of profile.cameras) this.streamIds.set(c.name, c.streamId);
    return this.streamIds.get(camera)!;
  }

  /** The device's sealed profile, opened from its current access list (null: the list has none). */
  async profile(): Promise<DeviceProfile | null> {
    const list = verifyAccessList(
      await this.bytes(`/v1/devices/${formatId(this.device!.id)}/access-list`),
      this.device!,
    );
    return list.profile ? openProfile(list.profile, this.identity, list.deviceId, list.version) : null;
  }

  async watchLive(camera: string, durationMs: number, previous?: { epoch: number; hash: Uint8Array }) {
    const watch = await this.subscribeLive(await this.streamOf(camera), previous);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    return watch.close();
  }

  /**
   * Subscribes to a camera's live stream and opens what arrives until `done` holds for what was
   * received (checked after every message), then unsubscribes. Fails after `timeoutMs` (generous: a
   * busy machine is slow, not wrong) with what had arrived by then.
   */
  async watchLiveUntil(
    camera: string,
    done: (watch: LiveWatch) => boolean,
    what: string,
    options: {
      timeoutMs?: number | undefined;
      previous?: { epoch: number; hash: Uint8Array } | undefined;
    } = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const streamId = await this.streamOf(camera);
    const watch = await this.subscribeLive(streamId, options.previous);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (done(watch.result)) resolve();
        };
        watch.onMessage(check);
        timer = setTimeout(() => {
          const { frames, manifests, rejected } = watch.result;
          reject(
            new Error(
              `timed out after ${timeoutMs} ms watching ${streamId} for ${what}: ${frames.length} frames, ${manifests} manifests, rejected [${rejected.join(', ')}]`,
            ),
          );
        }, timeoutMs);
        check();
      });
    } finally {
      clearTimeout(timer);
    }
    return watch.close();
  }

  private async subscribeLive(streamId: string, previous?: { epoch: number; hash: Uint8Array }) {
    const ws = new WebSocket(liveUrl(this.base), await liveProtocols(this.session), {
      perMessageDeflate: false,
    });
    const opener = new FrameOpener({ deviceId: this.device!.id, streamId });
    const result: LiveWatch = {
      frames: [],
      opened: [],
      epochs: new Set<number>(),
      rejected: [],
      manifests: 0,
      epochKeys: [],
    };
    let listener: () => void = () => undefined;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      try {
        const message = decodeLiveMessage(new Uint8Array(data as Buffer));
        if (message.type === WireType.LiveManifest) {
          const opened = openManifest(message.payload, {
            viewer: this.identity,
            device: this.device!,
            streamId,
            now: Date.now(),
            previous,
          });
          previous = { epoch: opened.manifest.epoch, hash: opened.hash };
          result.manifests++;
          result.epochKeys.push(opened.epochKey.slice());
          const { epoch, notBefore, notAfter } = opened.manifest;
          opener.addEpoch({ epoch, epochKey: opened.epochKey, notBefore, notAfter });
        } else if (message.type === WireType.LiveFrame) {
          const frame = opener.open(message.payload, Date.now());
          result.frames.push(
            frame.codec === Codec.JpegTimed ? decodeMediaPayload(frame.payload).unit : frame.payload,
          );
          result.opened.push({ codec: frame.codec, keyframe: frame.keyframe, payload: frame.payload });
          result.epochs.add(frame.epoch);
        }
      } catch (error) {
        result.rejected.push((error as { code?: string }).code ?? String(error));
      }
      listener();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      encodeControl({
        op: 'subscribe',
        deviceId: deviceIdOf(this.device!.id),
        streamId: parseStreamId(streamId),
      }),
    );
    return {
      result,
      onMessage(callback: () => void) {
        listener = callback;
      },
      close() {
        listener = () => undefined;
        ws.close();
        return { ...result, last: previous };
      },
    };
  }
}

/**
 * Runs `attempt` again (up to 3 times) when fetch fails before any answer because the pooled
 * keep-alive connection was closed by the relay at the moment it was reused: a race that a busy
 * machine makes likely (the relay closes idle connections after 10 s). Only for idempotent work.
 * The fetch TypeError arrives bare, or as the cause of the relay client's `unreachable` error.
 */
async function retryOnSocketError<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const failure = error instanceof RelayError && error.kind === 'unreachable' ? error.cause : error;
      const cause = (failure as { cause?: { code?: string } } | undefined)?.cause?.code;
      const closed = cause === 'UND_ERR_SOCKET' || cause === 'ECONNRESET' || cause === 'EPIPE';
      if (!(failure instanceof TypeError) || !closed || tries >= 3) throw error;
    }
  }
}
