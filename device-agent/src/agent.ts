import {
  currentRecipients,
  type DeviceId,
  deviceIdOf,
  formatId,
  type Identity,
  type IdentityCard,
  opaqueStreamId,
  type RelayToDevice,
  ready,
  type StreamId,
} from '@sealcam/protocol';
import { type LiveClose, RelaySession } from '@sealcam/relay-client';
import { CameraError, type CameraErrorReason } from './camera/camera-error.js';
import { createCameraSource } from './camera/create-source.js';
import type { CameraFrame, CameraSource } from './camera/frame.js';
import { RtspPassthroughCamera } from './camera/rtsp-passthrough.js';
import type { AgentConfig, CameraConfig } from './config.js';
import { Uploader } from './delivery/uploader.js';
import type { Logger } from './log.js';
import { splitIntoClipChunks } from './motion/clip-chunks.js';
import { type CapturedEvent, EventCapture } from './motion/event-capture.js';
import { muxMp4Clip } from './motion/mp4-clip.js';
import { makeThumbnail } from './motion/thumbnail.js';
import { type CapturedUnitEvent, UnitCapture } from './motion/unit-capture.js';
import { Outbox } from './outbox/outbox.js';
import { ClockAnswers } from './relay/clock-answers.js';
import { LiveConnection } from './relay/live-connection.js';
import { LiveDemand } from './relay/live-demand.js';
import { sealRecordedEvent } from './seal/event-sealing.js';
import type { PreparedEpoch } from './seal/live-stream-sealer.js';
import { LiveStreamSealer } from './seal/live-stream-sealer.js';
import { registerAccessList } from './sharing/access-list.js';
import { type ProfileDefaults, profileDefaults, renameTargets } from './sharing/device-profile.js';
import { processInbox, viewerSetKey } from './sharing/inbox.js';
import { loadDeviceIdentity } from './state/identity-store.js';
import { type StatePaths, statePaths } from './state/paths.js';
import { acquireRunLock } from './state/run-lock.js';
import { fileVersion } from './state/secret-file.js';
import { type AgentStatus, writeStatus } from './state/status-file.js';
import { loadStreamManifests, saveStreamManifests } from './state/streams-store.js';
import { loadViewerState, type ViewerState } from './state/viewers-store.js';

interface CameraRuntime {
  readonly config: CameraConfig;
  /** What the relay sees of this camera: opaque (opaqueStreamId), never its configured id or name. */
  readonly streamId: StreamId;
  readonly source: CameraSource;
  readonly sealer: LiveStreamSealer;
  readonly capture: EventCapture | null;
  /** Events of a passthrough camera (H.264/AAC units and stills); idle for JPEG cameras. */
  readonly unitCapture: UnitCapture | null;
  frames: number;
  framesSent: number;
  lastFrameAt: number | null;
  events: number;
  errors: number;
  lastError: string | null;
  /** Why, when the source said (camera-error.ts): auth-failed, unreachable, stream-changed, … */
  lastErrorReason: CameraErrorReason | null;
}

const KEYS_TICK_MS = 1000;
const RELAY_TICK_MS = 1000;
const STATUS_EVERY_MS = 2000;

/** For tests: where each camera's frames come from instead of its configured source. */
export interface AgentStartOptions {
  readonly createSource?: (camera: CameraConfig) => CameraSource;
}

/**
 * `sealcam-agent run`: every camera's frames are sealed for the device's own viewer list and
 * published live; motion events are sealed, written to the outbox, then uploaded. The viewer list
 * on disk is the only source of recipients; when it changes (pairing, `viewers revoke`, an owner's
 * grant or revocation), every stream starts a new epoch at once and the relay's access list follows.
 */
export class Agent {
  private readonly cameras: CameraRuntime[] = [];
  /** The names this device seals for its viewers, before the owner's renames (sharing/device-profile.ts). */
  private readonly profile: ProfileDefaults;
  /** Owner renames applied so far: a registration that began before one must run again. */
  private renames = 0;
  /** Which streams someone watches (the relay's leases): the others upload only a keyframe now and then. */
  private readonly demand = new LiveDemand();
  private viewers!: ViewerState;
  private viewersKey = '';
  /** The viewers file's version last read (fileVersion's stamp; undefined: there was none); null: read it next time. */
  private viewersStamp: string | undefined | null = null;
  private recipients: IdentityCard[] = [];
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private eventChain: Promise<void> = Promise.resolve();
  private inboxRunning = false;
  private accessListPending = true;
  private stopped = false;
  private lastStatusAt = 0;
  private keysRunning = false;
  private relayTasksRunning = false;
  /** Set when the relay reported a manifest fork: the next epochs start a new chain. */
  private restartChains = false;

  private constructor(
    readonly config: AgentConfig,
    readonly identity: Identity,
    private readonly paths: StatePaths,
    readonly outbox: Outbox,
    private readonly session: RelaySession,
    private readonly log: Logger,
    private readonly releaseLock: () => Promise<void>,
    private readonly options: AgentStartOptions = {},
  ) {
    const backoff = { startingDelayMs: 1000, maxDelayMs: config.retryMaxDelaySeconds * 1000 };
    this.profile = profileDefaults(config, identity);
    this.live = new LiveConnection(
      session,
      {
        onOpen: (send) => this.onConnected(send),
        onConnecting: () => this.demand.connected(),
        onControl: (message) => this.onControl(message),
        onClose: (close) => this.onClosed(close),
      },
      log,
      backoff,
    );
    this.uploader = new Uploader(session, outbox, log, backoff);
    this.clockAnswers = new ClockAnswers(identity, (message) => this.live.send(message, 'manifest'));
  }

  readonly live: LiveConnection;
  readonly uploader: Uploader;
  private readonly clockAnswers: ClockAnswers;

  static async start(config: AgentConfig, log: Logger, options: AgentStartOptions = {}): Promise<Agent> {
    await ready();
    const paths = statePaths(config.stateDir);
    const identity = await loadDeviceIdentity(paths);
    const releaseLock = await acquireRunLock(paths);
    try {
      const outbox = await Outbox.open(paths.outbox, { maxBytes: config.outboxMaxBytes, logger: log });
      const session = new RelaySession(config.relayUrl, identity);
      const agent = new Agent(config, identity, paths, outbox, session, log, releaseLock, options);
      await agent.begin();
      return agent;
    } catch (error) {
      await releaseLock();
      throw error;
    }
  }

  get deviceId(): DeviceId {
    return deviceIdOf(this.identity.card.id);
  }

  private async begin(): Promise<void> {
    await this.reloadViewers();
    const manifests = await loadStreamManifests(this.paths);
    for (const config of this.config.cameras) {
      const { events, motion, clip, displayName: _name, ...sourceConfig } = config;
      const streamId = opaqueStreamId(this.identity, config.id);
      const runtime: CameraRuntime = {
        config,
        streamId,
        // The source knows the camera by its stream id only: its errors and frames never carry the
        // configured id (a name, in effect) into logs or status.
        source: this.options.createSource?.(config) ?? createCameraSource({ ...sourceConfig, id: streamId }),
        sealer: new LiveStreamSealer({
          device: this.identity,
          streamId,
          previousManifest: manifests.get(streamId) ?? null,
          rotateEveryMs: this.config.rotateKeysSeconds * 1000,
          keyframeEveryMs: this.config.keyframeIntervalSeconds * 1000,
        }),
        capture:
          events === false
            ? null
            : new EventCapture({
                cameraId: streamId,
                options: { ...(clip ?? {}), motion: motion ?? {} },
                onEvent: (event) => this.onEvent(event),
                onError: (error) => this.cameraError(runtime, error),
              }),
        unitCapture:
          events === false
            ? null
            : new UnitCapture({
                cameraId: streamId,
                options: { ...(clip ?? {}), motion: motion ?? {} },
                onEvent: (event) => this.onEvent(event),
                onError: (error) => this.cameraError(runtime, error),
              }),
        frames: 0,
        framesSent: 0,
        lastFrameAt: null,
        events: 0,
        errors: 0,
        lastError: null,
        lastErrorReason: null,
      };
      this.cameras.push(runtime);
    }
    // A new epoch on every start: a frame sealer is never resumed (its counter is not persisted).
    await this.rotateAll('start');
    this.live.start();
    this.uploader.start();
    this.outbox.onChange((change) => {
      if (change.type === 'put') this.uploader.wake();
    });
    for (const camera of this.cameras) {
      if (camera.source instanceof RtspPassthroughCamera)
        this.log.info(
          { camera: camera.streamId, client: camera.source.client.name, why: camera.source.client.why },
          'rtsp client',
        );
      camera.source.start(
        (frame) => this.onFrame(camera, frame),
        (error) => this.cameraError(camera, error),
      );
    }
    // Keys never wait for the network: a stalling relay cannot delay a revocation's new epoch.
    this.timers.push(setInterval(() => void this.keysTick(), KEYS_TICK_MS));
    this.timers.push(setInterval(() => void this.relayTick(), RELAY_TICK_MS));
    this.timers.push(setInterval(() => void this.pollInbox(), this.config.inboxPollSeconds * 1000));
    this.log.info(
      { device: this.deviceId, cameras: this.cameras.length, viewers: this.recipients.length },
      'agent running',
    );
    await this.writeStatus();
  }

  private cameraError(camera: CameraRuntime, error: Error): void {
    camera.errors++;
    camera.lastError = error.message;
    camera.lastErrorReason = error instanceof CameraError ? error.reason : null;
    this.log.warn({ camera: camera.streamId, reason: error.message }, 'camera error');
  }

  private onFrame(camera: CameraRuntime, frame: CameraFrame): void {
    if (this.stopped) return;
    if (frame.kind === 'still') {
      // Motion and thumbnails only: a still is never sent live.
      camera.unitCapture?.push(frame);
      return;
    }
    const now = Date.now();
    if (frame.kind === 'h264' || frame.kind === 'aac') {
      if (frame.kind === 'h264') {
        camera.frames++;
        camera.lastFrameAt = frame.capturedAt;
      }
      // Live on demand: unwatched, only an occasional keyframe goes (sealed only if it goes).
      const keyframe = frame.kind === 'h264' && frame.keyframe;
      const dependent = frame.kind === 'h264' && !frame.keyframe;
      const wanted = camera.sealer.keyframeWanted;
      if (this.demand.shouldSend(camera.streamId, { keyframe, dependent, wanted }, now)) {
        const message = camera.sealer.sealUnit(frame);
        if (message && this.live.send(message) && frame.kind === 'h264') camera.framesSent++;
      }
      camera.unitCapture?.push(frame);
      return;
    }
    camera.frames++;
    camera.lastFrameAt = frame.capturedAt;
    const jpeg = {
      keyframe: camera.sealer.keyframeDue(now),
      dependent: false,
      wanted: camera.sealer.keyframeWanted,
    };
    if (this.demand.shouldSend(camera.streamId, jpeg, now)) {
      const message = camera.sealer.sealFrame(frame.jpeg, frame.capturedAt, now);
      if (message && this.live.send(message)) camera.framesSent++;
    }
    camera.capture?.push(frame);
  }

  private onEvent(event: CapturedEvent | CapturedUnitEvent): void {
    const camera = this.cameras.find((c) => c.streamId === event.cameraId);
    if (camera) camera.events++;
    // Events are sealed and stored one at a time, in the order they closed.
    this.eventChain = this.eventChain
      .then(() => this.storeEvent(event))
      .catch((error) =>
        this.log.error({ camera: event.cameraId, reason: String(error) }, 'event not stored'),
      );
  }

  private async storeEvent(event: CapturedEvent | CapturedUnitEvent): Promise<void> {
    // Read the viewer list from disk now, not the copy of the last tick: an event that closes right
    // after a revocation is not sealed for the revoked viewer. Only viewers authorised before the
    // clip began receive it (a grant does not open footage recorded before it).
    const state = await loadViewerState(this.paths, this.identity.card.id);
    const recipients = currentRecipients(state.list, Date.now()).filter((card) => {
      const viewer = state.list.viewers.find((v) => formatId(v.card.id) === formatId(card.id));
      return viewer !== undefined && viewer.since <= event.clipStart;
    });
    if (recipients.length === 0) {
      this.log.info(
        { camera: event.cameraId },
        'motion event not recorded: no viewer was authorised when it began',
      );
      return;
    }
    let thumbnail: Uint8Array | null = null;
    try {
      thumbnail = await makeThumbnail(event.thumbnailSource.jpeg);
    } catch (error) {
      this.log.warn(
        { camera: event.cameraId, reason: (error as Error).message },
        'no thumbnail for this event',
      );
    }
    const clip = 'units' in event ? await muxMp4Clip(event.units) : splitIntoClipChunks(event.frames);
    const dropped = 'droppedFrames' in clip ? clip.droppedFrames : clip.dropped.length;
    if (dropped > 0)
      this.log.warn({ camera: event.cameraId, frames: dropped }, 'clip frames left out (too large)');
    const sealed = sealRecordedEvent(
      this.identity,
      {
        cameraId: event.cameraId,
        start: event.start,
        end: event.end,
        score: event.score,
        thumbnail,
        chunks: clip.chunks,
        clip: clip.chunks.length > 0 ? clip.clip : null,
      },
      recipients,
    );
    await this.outbox.put(sealed);
    this.log.info(
      {
        camera: event.cameraId,
        event: formatId(sealed.eventId),
        frames: clip.clip.frames,
        score: event.score,
      },
      'motion event sealed and queued',
    );
  }

  /**
   * Starts a new epoch on every stream (or only those due). Old frame keys are wiped first; the new
   * manifests are persisted before any frame is sealed under them or any is sent, so the chain on
   * disk is never behind what the relay and viewers saw (a crash cannot fork it). A camera whose
   * rotation fails stays dark (no frames) rather than keep the old viewer set.
   */
  private async rotateAll(reason: string, onlyDue = false): Promise<void> {
    const now = Date.now();
    const restart = this.restartChains;
    const prepared: [CameraRuntime, PreparedEpoch][] = [];
    let touched = false;
    for (const camera of this.cameras) {
      if (!restart && onlyDue && !camera.sealer.needsRotation(this.recipients, now)) continue;
      touched = true;
      try {
        const next = camera.sealer.prepare(this.recipients, now, restart);
        if (next) prepared.push([camera, next]);
      } catch (error) {
        this.cameraError(camera, new Error(`live keys not rotated: ${(error as Error).message}`));
      }
    }
    if (!touched) return;
    const manifests = new Map<string, Uint8Array>();
    for (const camera of this.cameras) {
      const manifest = prepared.find(([c]) => c === camera)?.[1].manifest ?? camera.sealer.lastManifest;
      if (manifest) manifests.set(camera.streamId, manifest);
    }
    try {
      await saveStreamManifests(this.paths, manifests);
    } catch (error) {
      for (const [camera, next] of prepared) camera.sealer.discard(next);
      this.log.error(
        { reason: (error as Error).message },
        'new manifests not saved; live streams paused until they are',
      );
      return;
    }
    if (restart) this.restartChains = false;
    for (const [camera, next] of prepared) this.live.send(camera.sealer.activate(next), 'manifest');
    this.log.info(
      { reason, viewers: this.recipients.length, epochs: this.cameras.map((c) => c.sealer.epoch) },
      'live keys rotated',
    );
  }

  private async reloadViewers(): Promise<boolean> {
    // Every second: read and parse the file only when it was replaced (by this agent or the CLI),
    // or when it changed so recently that its stamp cannot tell the next version from it.
    const version = await fileVersion(this.paths.viewers);
    if (this.viewersStamp === null || version?.stamp !== this.viewersStamp) {
      this.viewers = await loadViewerState(this.paths, this.identity.card.id);
      this.viewersStamp = version?.racy ? null : version?.stamp;
    }
    this.recipients = currentRecipients(this.viewers.list, Date.now());
    // Who may see the device now: a grant that expired changes it as a revocation does.
    const key = viewerSetKey(this.recipients.map((card) => ({ card })));
    const changed = key !== this.viewersKey;
    this.viewersKey = key;
    if (changed) this.accessListPending = true;
    return changed;
  }

  private onConnected(send: (bytes: Uint8Array) => void): void {
    // The relay caches keyframes only for streams whose manifest came first on this connection.
    for (const camera of this.cameras) {
      const manifest = camera.sealer.currentManifestMessage;
      if (manifest) send(manifest);
      camera.sealer.requestKeyframe();
    }
    this.accessListPending = true;
    void this.relayTick();
    void this.pollInbox();
    this.uploader.wake();
  }

  private onControl(message: RelayToDevice): void {
    if (message.op === 'keyframe') {
      this.cameras.find((c) => c.streamId === message.streamId)?.sealer.requestKeyframe();
    } else if (message.op === 'mailbox' && message.box === 'inbox') {
      void this.pollInbox();
    } else if (message.op === 'demand') {
      this.demand.handle(message, Date.now());
    } else if (message.op === 'clock') {
      if (this.cameras.some((c) => c.streamId === message.streamId))
        this.clockAnswers.ask(message.streamId, message.nonce);
    }
  }

  private onClosed(close: LiveClose): void {
    if (close.reason === 'conflict' || close.reason === 'invalid-manifest') {
      // The relay holds another manifest for our next epoch (a state directory restored from an old
      // copy): start a new chain two epochs ahead, which viewers accept without a chain link.
      this.log.error(
        { reason: close.text },
        'the relay holds a different manifest for this epoch; starting a new chain',
      );
      this.restartChains = true;
    }
  }

  private async pollInbox(): Promise<void> {
    if (this.inboxRunning || this.stopped) return;
    this.inboxRunning = true;
    try {
      const result = await processInbox(
        this.session,
        this.paths,
        this.identity,
        renameTargets(this.profile),
        this.log,
      );
      if (result.renamed > 0) {
        this.renames++;
        this.accessListPending = true;
        void this.relayTick();
      }
      if (result.applied > 0) await this.keysTick();
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'inbox not fetched');
    } finally {
      this.inboxRunning = false;
    }
  }

  /** Viewer changes, grant expiry and timed rotation: local work only, every second. */
  private async keysTick(): Promise<void> {
    if (this.keysRunning || this.stopped) return;
    this.keysRunning = true;
    try {
      const changed = await this.reloadViewers();
      if (changed) await this.rotateAll('viewers changed');
      else await this.rotateAll('scheduled', true);
    } catch (error) {
      this.log.error({ reason: (error as Error).message }, 'key rotation check failed');
    } finally {
      this.keysRunning = false;
    }
  }

  /** The relay's access list (second line of defence) and the status file. */
  private async relayTick(): Promise<void> {
    if (this.relayTasksRunning || this.stopped) return;
    this.relayTasksRunning = true;
    try {
      if (this.accessListPending && this.live.state === 'connected') {
        try {
          const registeredFor = `${this.viewersKey}/${this.renames}`;
          await registerAccessList(this.session, this.identity, this.paths, this.profile, this.log);
          if (registeredFor === `${this.viewersKey}/${this.renames}`) this.accessListPending = false;
        } catch (error) {
          this.log.warn({ reason: (error as Error).message }, 'access list not registered yet');
        }
      }
      if (Date.now() - this.lastStatusAt >= STATUS_EVERY_MS) await this.writeStatus();
    } catch (error) {
      this.log.error({ reason: (error as Error).message }, 'relay housekeeping failed');
    } finally {
      this.relayTasksRunning = false;
    }
  }

  status(): AgentStatus {
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: Date.now(),
      deviceId: this.deviceId,
      relay: {
        url: this.config.relayUrl,
        state: this.live.state,
        connectedSince: this.live.connectedSince,
        reconnects: this.live.reconnects,
        lastError: this.live.lastError,
      },
      outbox: {
        depth: this.outbox.depth,
        bytes: this.outbox.bytes,
        uploaded: this.uploader.uploaded,
        deferred: this.uploader.deferred,
        lastError: this.uploader.lastError,
      },
      viewers: this.recipients.length,
      cameras: this.cameras.map((camera) => ({
        id: camera.config.id,
        streamId: camera.streamId,
        source: camera.config.source,
        frames: camera.frames,
        framesSent: camera.framesSent,
        watched: this.demand.watched(camera.streamId, Date.now()),
        lastFrameAt: camera.lastFrameAt,
        epoch: camera.sealer.epoch,
        events: camera.events,
        errors: camera.errors,
        lastError: camera.lastError,
        lastErrorReason: camera.lastErrorReason,
        rtspClient: camera.source instanceof RtspPassthroughCamera ? camera.source.client : null,
      })),
    };
  }

  private async writeStatus(): Promise<void> {
    this.lastStatusAt = Date.now();
    await writeStatus(this.paths, this.status());
  }

  /**
   * Stops cameras, closes running events into the outbox (so nothing recorded is lost), stops
   * uploading (what is not acknowledged stays queued for the next start), wipes live keys.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled(this.cameras.map((camera) => camera.source.stop()));
    await Promise.allSettled(this.cameras.map((camera) => camera.capture?.close()));
    await Promise.allSettled(this.cameras.map((camera) => camera.unitCapture?.close()));
    await this.eventChain;
    await this.uploader.stop();
    await this.live.stop();
    this.clockAnswers.stop();
    for (const camera of this.cameras) camera.sealer.retire();
    await this.writeStatus().catch(() => undefined);
    await this.outbox.close();
    await this.releaseLock();
    this.log.info({ device: this.deviceId }, 'agent stopped');
  }
}
