import type { DeviceId, StreamId } from '../../src/sdk/index.js';
import {
  Codec,
  type Freshness,
  type LiveFrame,
  type Subscription,
  type Viewer,
  type ViewerError,
} from '../../src/sdk/index.js';
import { h } from './dom.js';
import { formatAge } from './format.js';
import { FrameThrottle } from './frame-throttle.js';
import { JpegCanvas } from './jpeg-canvas.js';
import { isRoutableStreamId, routePath } from './lib/router.js';
import { type LiveStatus, liveStatus, RateMeter, STATUS_LABELS } from './live-status.js';
import { LiveVideo } from './live-video.js';
import { isNotSharedWithYou } from './notice.js';
import type { WarningBanner } from './warning-banner.js';

/** Time between decodes for a tile scrolled out of view (visible tiles follow the screen refresh). */
const OFFSCREEN_INTERVAL_MS = 1000;

function fullscreenIcon(): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  svg.append(path);
  return svg;
}

/**
 * One live stream of one camera: verified frames only (the SDK opens and checks each one), newest
 * first, decoded no faster than the screen shows them. A frame that fails verification is never
 * shown: the banner says why and the tile counts it.
 */
export class LiveTile {
  readonly element: HTMLElement;
  private readonly image: JpegCanvas;
  private readonly throttle = new FrameThrottle<LiveFrame>();
  private rate = new RateMeter();
  /** The newest picture's capture time (ms; arrival time for pictures without one). */
  private captureNow = 0;
  /** The relay's live connection is down: every tile of that relay says so. */
  private offline = false;
  private stopRelayState: (() => void) | undefined;
  private readonly title: HTMLElement;
  private readonly link: HTMLAnchorElement;
  private readonly gateway: HTMLElement;
  private readonly indicator: HTMLElement;
  private readonly age: HTMLElement;
  private readonly fps: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly media: HTMLElement;
  /** Timed codecs (H.264, H.265, AAC): created on the first such frame. */
  private video: LiveVideo | undefined;
  private readonly notice: HTMLElement;
  private readonly offlineNotice: HTMLElement;
  private readonly refused: HTMLElement;
  private readonly observer: IntersectionObserver | undefined;
  private subscription: Subscription | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private shown = 0;
  private rejected = 0;
  private lastFrameAt: number | undefined;
  private subscribed = false;
  private unavailable: string | undefined;
  private unsupported = false;
  /** The camera's signed key manifest did not include this viewer: it no longer shares the stream. */
  private notShared = false;
  private quietlyRefused = 0;
  private status: LiveStatus | undefined;
  /** The SDK's verdict on the newest picture: live, delayed (with its age) or unconfirmed. */
  private freshness: Freshness | undefined;
  private closed = false;

  constructor(
    private readonly viewer: Viewer,
    private readonly warnings: WarningBanner,
    readonly deviceId: DeviceId,
    readonly streamId: StreamId,
    private cameraName: string,
    private gatewayLabel: string,
  ) {
    this.image = new JpegCanvas({ class: 'live-image', 'data-testid': 'live-image', 'data-frames': '0' });
    // The title opens the camera's page (large view, its events, snapshot).
    this.link = h(
      'a',
      isRoutableStreamId(streamId)
        ? { href: routePath({ page: 'camera', deviceId, streamId }), 'data-testid': 'tile-open' }
        : {},
      cameraName,
    );
    this.title = h('h3', { class: 'tile-title' }, this.link);
    this.gateway = h('span', { class: 'tile-stream' }, gatewayLabel);
    this.indicator = h('span', { class: 'live-indicator', 'data-status': 'connecting' }, 'Connecting');
    this.age = h('span', { class: 'frame-age' });
    this.fps = h('span', { class: 'frame-rate' });
    this.placeholder = h('p', { class: 'tile-placeholder' }, 'Connecting…');
    this.notice = h('p', { class: 'tile-notice availability-notice', role: 'status', hidden: true });
    this.offlineNotice = h(
      'p',
      {
        class: 'tile-notice availability-notice',
        'data-testid': 'tile-offline',
        hidden: true,
      },
      'The relay cannot be reached: reconnecting…',
    );
    this.refused = h('p', { class: 'tile-refused', hidden: true });
    const media = h('div', { class: 'tile-media' }, this.image.element, this.placeholder);
    this.media = media;
    if (document.fullscreenEnabled) {
      const full = h(
        'button',
        { type: 'button', class: 'tile-fullscreen', 'aria-label': `Full screen: ${cameraName}` },
        fullscreenIcon(),
      );
      full.addEventListener('click', () => {
        if (document.fullscreenElement) void document.exitFullscreen();
        else this.fullscreen();
      });
      media.append(full);
    }
    this.element = h(
      'article',
      {
        class: 'tile',
        'data-testid': 'camera-tile',
        'data-device-id': deviceId,
        'data-stream-id': streamId,
        'data-camera-name': cameraName,
      },
      media,
      h(
        'div',
        { class: 'tile-info' },
        h('div', { class: 'tile-heading' }, this.title, this.gateway),
        h('div', { class: 'tile-meta' }, this.indicator, this.age, this.fps),
      ),
      this.notice,
      this.offlineNotice,
      this.refused,
    );
    this.updateLabel();
    this.observer =
      typeof IntersectionObserver === 'function'
        ? new IntersectionObserver((entries) => {
            const visible = entries.some((entry) => entry.isIntersecting);
            this.throttle.setMinInterval(visible ? 0 : OFFSCREEN_INTERVAL_MS);
            // Scrolled into view while a slow (off-screen) render waits: render now instead.
            if (visible && this.timer !== undefined) {
              clearTimeout(this.timer);
              this.schedule();
            }
          })
        : undefined;
    this.observer?.observe(this.element);
  }

  start(): void {
    this.setOffline(this.viewer.relayState(this.deviceId) === 'offline');
    this.stopRelayState = this.viewer.onRelayState(this.deviceId, (state) =>
      this.setOffline(state === 'offline'),
    );
    try {
      this.subscription = this.viewer.watch(this.deviceId, this.streamId, {
        onFrame: (frame) => this.onFrame(frame),
        onRejected: (error) => this.onRejected(error),
        onSubscribed: (info) => this.onSubscribed(info),
      });
    } catch (error) {
      this.setUnavailable((error as ViewerError).userMessage ?? 'This stream cannot be watched.');
    }
  }

  get name(): string {
    return this.cameraName;
  }

  /** When the newest picture shown was captured (ms; the camera's clock, verified), if known. */
  get pictureTime(): number | undefined {
    return this.captureNow > 0 ? this.captureNow : undefined;
  }

  /** Whether the tile shows its camera as live now (fresh, verified pictures). */
  get isLive(): boolean {
    return this.status === 'live';
  }

  /** Shows the picture on the whole screen (the browser's Escape leaves). */
  fullscreen(): void {
    void this.media.requestFullscreen().catch(() => undefined);
  }

  /**
   * The picture on screen now, as a PNG (a verified frame: nothing else is ever drawn), or null when
   * none is shown yet.
   */
  async snapshot(): Promise<Blob | null> {
    const canvas = this.video?.canvas;
    if (canvas && canvas.width > 0 && !canvas.hidden)
      return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), 'image/png'));
    if (!this.image.shown) return null;
    const picture = this.image.element;
    return new Promise((resolve) => picture.toBlob((blob) => resolve(blob), 'image/png'));
  }

  setName(name: string, gatewayLabel: string): void {
    if (name === this.cameraName && gatewayLabel === this.gatewayLabel) return;
    this.cameraName = name;
    this.gatewayLabel = gatewayLabel;
    this.link.textContent = name;
    this.gateway.textContent = gatewayLabel;
    this.element.dataset.cameraName = name;
    this.updateLabel();
  }

  private updateLabel(): void {
    this.image.element.setAttribute('aria-label', `Live picture: ${this.cameraName}, ${this.gatewayLabel}`);
    this.element.setAttribute('aria-label', `${this.cameraName}, ${this.gatewayLabel}`);
  }

  private onFrame(frame: LiveFrame): void {
    if (this.closed) return;
    const now = Date.now();
    this.lastFrameAt = now;
    if (frame.codec !== Codec.AacAdts) {
      // fps counts pictures (not sound frames) by their capture time, so a burst of arrivals is not a rate.
      const capturedMs = frame.capturedAtUs === null ? now : frame.capturedAtUs / 1000;
      this.captureNow = frame.capturedAtUs === null ? now : Math.max(this.captureNow, capturedMs);
      this.rate.add(capturedMs);
      this.freshness = frame.freshness;
      if (frame.freshness.state !== this.status) this.tick(now);
    }
    if (this.unavailable) this.setUnavailable(undefined);
    this.notShared = false;
    if (
      frame.codec === Codec.H264AnnexB ||
      frame.codec === Codec.H265AnnexB ||
      frame.codec === Codec.AacAdts
    ) {
      this.timedVideo().push(frame);
      return;
    }
    if (frame.codec !== Codec.Jpeg) {
      if (!this.unsupported) {
        this.unsupported = true;
        this.notice.hidden = false;
        this.notice.textContent = `This stream uses a picture format (codec ${frame.codec}) this viewer cannot show.`;
      }
      return;
    }
    if (this.throttle.offer(frame)) this.schedule();
  }

  /** The WebCodecs player (live-video.ts), in the tile's picture area in place of the JPEG canvas. */
  private timedVideo(): LiveVideo {
    if (this.video) return this.video;
    const video = new LiveVideo({
      label: `${this.cameraName}, ${this.gatewayLabel}`,
      onChange: () => {
        // The first picture, or a codec this browser cannot play: either way no more "Connecting…".
        if (video.state !== 'waiting') this.placeholder.hidden = true;
      },
    });
    this.image.element.hidden = true;
    this.media.prepend(video.element);
    this.video = video;
    return video;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      requestAnimationFrame(() => void this.render());
    }, this.throttle.delay(performance.now()));
  }

  private async render(): Promise<void> {
    if (this.closed) return;
    const frame = this.throttle.take(performance.now());
    if (!frame) return;
    if (await this.image.show(frame.data)) {
      this.shown += 1;
      this.image.element.dataset.frames = String(this.shown);
      this.placeholder.hidden = true;
    }
    if (this.closed) {
      this.image.clear();
      return;
    }
    if (this.throttle.finish()) this.schedule();
  }

  private onRejected(error: ViewerError): void {
    if (this.closed) return;
    if (error.reason === 'NO_KEY_YET') {
      // No key manifest opened yet (the SDK asks the relay again): waiting, not unavailable.
      if (this.shown === 0) this.placeholder.textContent = error.userMessage;
      return;
    }
    if (!error.verificationFailure) {
      this.setUnavailable(error.userMessage);
      return;
    }
    if (isNotSharedWithYou(error)) {
      // A genuine manifest of this camera without a key for this viewer (access ended): no alarm.
      this.notShared = true;
      this.setUnavailable(error.userMessage);
      return;
    }
    if (
      error.reason === 'NOT_RECIPIENT' &&
      error.subject === 'frame' &&
      (this.notShared || this.unavailable !== undefined)
    ) {
      // Frames of a key epoch this viewer was left out of, after the camera or relay said so.
      this.quietlyRefused += 1;
      this.refused.hidden = false;
      this.refused.dataset.tone = 'quiet';
      this.refused.textContent = `${this.quietlyRefused} frame${this.quietlyRefused === 1 ? '' : 's'} not for this viewer (not shown)`;
      return;
    }
    this.report(error);
  }

  private report(error: ViewerError): void {
    if (this.closed) return;
    this.rejected += 1;
    this.element.dataset.refused = String(this.rejected);
    this.refused.hidden = false;
    this.refused.dataset.tone = 'alarm';
    this.refused.textContent = `${this.rejected} ${error.subject === 'frame' ? 'frame' : 'item'}${
      this.rejected === 1 ? '' : 's'
    } refused (not verified, not shown)`;
    this.warnings.report(`${this.cameraName} · ${this.gatewayLabel} · live`, error);
  }

  private onSubscribed(info: { manifest: boolean; keyframe: boolean }): void {
    if (this.closed) return;
    this.subscribed = true;
    if (this.unavailable && !this.notShared) this.setUnavailable(undefined);
    if (this.shown === 0)
      this.placeholder.textContent = info.keyframe
        ? 'Verifying the picture…'
        : 'Waiting for the camera to send a picture…';
    this.tick(Date.now());
  }

  private setOffline(offline: boolean): void {
    if (offline === this.offline) return;
    this.offline = offline;
    // Back online: the rate starts again from the frames that come now.
    if (!offline) this.rate = new RateMeter();
    this.element.dataset.offline = String(offline);
    this.offlineNotice.hidden = !offline;
    this.tick(Date.now());
  }

  private setUnavailable(message: string | undefined): void {
    this.unavailable = message;
    this.notice.hidden = message === undefined;
    this.notice.textContent = message ?? '';
    this.tick(Date.now());
  }

  /** Refreshes the status, the frame age and the frame rate (called every second). */
  tick(now: number): void {
    const status = liveStatus(
      {
        subscribed: this.subscribed,
        lastFrameAt: this.lastFrameAt,
        freshness: this.freshness?.state,
        ageAtArrivalMs: this.freshness?.state === 'live' ? this.freshness.ageMs : undefined,
        unavailable: this.unavailable !== undefined,
        offline: this.offline,
      },
      now,
    );
    if (status !== this.status) {
      this.status = status;
      this.indicator.dataset.status = status;
      this.indicator.textContent = STATUS_LABELS[status];
      this.element.dataset.status = status;
    }
    // Timed codecs: the age of the newest picture drawn, not of the newest unit received.
    const age = this.video
      ? this.video.age(now)
      : this.lastFrameAt === undefined
        ? undefined
        : now - this.lastFrameAt;
    this.age.textContent =
      age === undefined
        ? 'no picture yet'
        : this.freshness?.state === 'delayed'
          ? `recorded ${formatAge(this.freshness.ageMs + (now - (this.lastFrameAt ?? now)))}, not live`
          : `last frame ${formatAge(age)}`;
    const rate = this.rate.rate(this.captureNow);
    this.fps.textContent = status === 'live' && rate > 0 ? `${rate.toFixed(rate < 10 ? 1 : 0)} fps` : '';
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.subscription?.close();
    this.subscription = undefined;
    this.stopRelayState?.();
    this.observer?.disconnect();
    this.throttle.reset();
    this.image.clear();
    this.video?.close();
    this.video = undefined;
    this.element.remove();
  }
}
