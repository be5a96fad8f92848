import type { Duplex } from 'node:stream';
import { type DeviceId, encodeControl, type RelayToViewer } from '@sealcam/protocol/relay-safe';
import type { WebSocket } from 'ws';
import type { ViewerSession } from '../auth/tokens.js';
import type { Metrics } from '../ops/metrics.js';
import { closeWith } from './close.js';
import { MessageRate } from './message-rate.js';

/**
 * One viewer's WebSocket. Backpressure is per viewer and bounded by `queueBytes` of data the
 * kernel did not accept (`backlog`): beyond it non-keyframes are dropped (and the stream waits for
 * the next keyframe, since later frames may depend on the dropped ones); beyond 4x even keyframes are dropped; a viewer whose
 * unsent data still grows past 8x (it keeps asking but does not read) is disconnected. Memory never
 * grows without bound, and a slow viewer never slows the others.
 *
 * Subscriptions are reserved synchronously (`reserve`) before any await, so the cap holds even
 * for pipelined requests, and `registered` says which ones the hub has counted.
 */
export class ViewerConnection {
  /** Reserved or joined streams (counted against the subscription cap). */
  readonly streams = new Set<string>();
  /** Streams the hub has added to its fan-out and interest counts. */
  readonly registered = new Set<string>();
  readonly eventFeeds = new Set<DeviceId>();
  /** Streams that must resume at a keyframe (after joining or after a drop). */
  private readonly awaitingKeyframe = new Set<string>();
  /** Streams still being joined: nothing live is sent until the manifest went out. */
  readonly joining = new Set<string>();
  /** When each joined stream's last clock question went to its device (one per CLOCK_QUESTION_MS). */
  readonly clockAskedAt = new Map<string, number>();
  readonly rate: MessageRate;
  closed = false;
  /** While a batch builds up (the socket corked): the backlog when it began; null otherwise. */
  private batchStart: number | null = null;
  private readonly flush = () => {
    this.batchStart = null;
    this.socket.uncork();
  };

  constructor(
    readonly ws: WebSocket,
    /** The connection's TCP socket (what `ws` writes to), corked while a batch of sends builds up. */
    readonly socket: Duplex,
    readonly session: ViewerSession,
    private readonly queueBytes: number,
    private readonly metrics: Metrics,
    messagesPerSecond: number,
  ) {
    this.rate = new MessageRate(messagesPerSecond);
  }

  get following(): number {
    return this.streams.size + this.eventFeeds.size;
  }

  reserve(streamKey: string): void {
    this.streams.add(streamKey);
    this.joining.add(streamKey);
    this.awaitingKeyframe.add(streamKey);
  }

  finishJoin(streamKey: string): void {
    this.joining.delete(streamKey);
  }

  needsKeyframe(streamKey: string): boolean {
    return this.awaitingKeyframe.has(streamKey);
  }

  leave(streamKey: string): void {
    this.streams.delete(streamKey);
    this.registered.delete(streamKey);
    this.joining.delete(streamKey);
    this.awaitingKeyframe.delete(streamKey);
    this.clockAskedAt.delete(streamKey);
  }

  /** Sends a live frame under the backpressure policy. */
  sendFrame(streamKey: string, wire: Uint8Array, keyframe: boolean): void {
    if (this.joining.has(streamKey)) {
      this.metrics.framesDropped.inc({ reason: 'joining' });
      return;
    }
    const buffered = this.backlog();
    if (!keyframe) {
      if (this.awaitingKeyframe.has(streamKey)) {
        this.metrics.framesDropped.inc({ reason: 'awaiting-keyframe' });
        return;
      }
      if (buffered > this.queueBytes) {
        this.awaitingKeyframe.add(streamKey);
        this.metrics.framesDropped.inc({ reason: 'slow-viewer' });
        return;
      }
    } else if (buffered > this.queueBytes * 4) {
      this.awaitingKeyframe.add(streamKey);
      this.metrics.framesDropped.inc({ reason: 'slow-viewer-keyframe' });
      return;
    }
    this.awaitingKeyframe.delete(streamKey);
    this.send(wire);
    this.metrics.hot.framesOut += 1;
  }

  /**
   * Manifests and control messages are not dropped (they are rare and small), but a viewer that
   * lets them pile up past 8x the queue is cut off instead of growing the relay's memory.
   */
  send(data: Uint8Array | string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.backlog() > this.queueBytes * 8) {
      this.metrics.framesDropped.inc({ reason: 'viewer-not-reading' });
      closeWith(this.ws, 'not-reading', 5);
      this.closed = true;
      return;
    }
    // Everything sent to this viewer while one batch of input is handled (a TCP read carries several
    // frames) leaves in one write: one syscall and fewer, fuller packets instead of one per frame.
    if (this.batchStart === null) {
      this.batchStart = this.ws.bufferedAmount;
      this.socket.cork();
      process.nextTick(this.flush);
    }
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /**
   * What the viewer has not taken yet: bytes left over from earlier batches that the kernel did not
   * accept (nothing drains while a batch is built up synchronously, so that is the amount when it
   * began). The batch itself is not a backlog (without coalescing it would be in the kernel's buffer
   * already) and is bounded by what one read of input carries.
   */
  private backlog(): number {
    return this.batchStart ?? this.ws.bufferedAmount;
  }

  control(message: RelayToViewer): void {
    this.send(encodeControl(message));
  }
}
