import { CLIP_MP4_TYPE, type EventView, type Viewer } from '../../src/sdk/index.js';
import { clipLength, clipOffsets, frameIndexAt } from './clip-timeline.js';
import { h, replace } from './dom.js';
import { formatClock, formatEventTime } from './format.js';
import { JpegCanvas } from './jpeg-canvas.js';
import { Mp4Clip } from './mp4-clip.js';
import { describeError, isVerificationFailure } from './notice.js';
import type { WarningBanner } from './warning-banner.js';

interface LoadedClip {
  readonly frames: Uint8Array[];
  readonly offsets: number[];
  readonly length: number;
}

/**
 * Plays an event's clip in a modal dialog: the SDK fetches and verifies every chunk in order. An MP4
 * clip plays in a <video> with "Download MP4" (mp4-clip.ts); a JPEG clip comes as frames with
 * capture times, shown here at the recorded pace. A clip that fails verification shows a warning
 * and none of its frames.
 */
export class ClipPlayer {
  private readonly dialog: HTMLDialogElement;
  private readonly title: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly image: JpegCanvas;
  private readonly playButton: HTMLButtonElement;
  private readonly position: HTMLInputElement;
  private readonly time: HTMLElement;
  private readonly status: HTMLElement;
  private readonly jpegControls: HTMLElement;
  private readonly mp4: Mp4Clip;
  private clip: LoadedClip | undefined;
  private shownIndex = -1;
  private playing = false;
  private startedAt = 0;
  private startOffset = 0;
  private frameRequest = 0;
  private generation = 0;

  constructor(
    private readonly viewer: Viewer,
    private readonly warnings: WarningBanner,
  ) {
    this.title = h('h2', { class: 'clip-title', id: 'clip-title' }, 'Clip');
    // A canvas, not an <img> per frame: each decoded frame would stay in Chromium's image cache.
    this.image = new JpegCanvas({ class: 'clip-image', 'data-testid': 'clip-image' });
    this.status = h('p', { class: 'clip-status', 'aria-live': 'polite' });
    this.mp4 = new Mp4Clip('Clip', 'clip.mp4');
    this.mp4.element.hidden = true;
    this.mp4.download.hidden = true;
    this.stage = h('div', { class: 'clip-stage' }, this.image.element, this.mp4.element, this.status);
    this.playButton = h(
      'button',
      { type: 'button', class: 'button', 'data-testid': 'clip-play-pause', disabled: true },
      'Play',
    );
    this.playButton.addEventListener('click', () => this.toggle());
    this.position = h('input', {
      type: 'range',
      class: 'clip-position',
      min: '0',
      max: '0',
      step: '1',
      value: '0',
      'aria-label': 'Position in the clip',
      disabled: true,
    });
    this.position.addEventListener('input', () => this.seek(Number(this.position.value)));
    this.time = h('span', { class: 'clip-time', 'aria-hidden': 'true' }, '0:00 / 0:00');
    const close = h(
      'button',
      { type: 'button', class: 'button secondary', 'data-testid': 'clip-close' },
      'Close',
    );
    close.addEventListener('click', () => this.dialog.close());
    this.jpegControls = h('div', { class: 'clip-controls' }, this.playButton, this.position, this.time);
    this.dialog = h(
      'dialog',
      { class: 'clip-player', 'data-testid': 'clip-player', 'aria-labelledby': 'clip-title' },
      h('div', { class: 'clip-header' }, this.title, close),
      this.stage,
      this.jpegControls,
      h('div', { class: 'clip-controls' }, this.mp4.download),
    );
    this.dialog.addEventListener('close', () => this.unload());
    document.body.append(this.dialog);
  }

  async open(event: EventView, cameraName: string): Promise<void> {
    this.unload();
    const generation = ++this.generation;
    replace(
      this.title,
      `${cameraName} · ${event.record.kind} at ${formatEventTime(event.record.start, Date.now())}`,
    );
    this.status.textContent = 'Fetching and verifying the clip…';
    this.status.className = 'clip-status';
    this.status.removeAttribute('data-reason');
    this.status.removeAttribute('data-testid');
    this.image.element.hidden = true;
    const mp4 = event.record.clip?.type === CLIP_MP4_TYPE;
    this.jpegControls.hidden = mp4;
    if (!this.dialog.open) this.dialog.showModal();
    if (!mp4) this.playButton.focus();
    let frames: { capturedAt: number; image: Uint8Array }[] = [];
    let file: Uint8Array | undefined;
    try {
      if (mp4) file = (await this.viewer.clipFile(event.deviceId, event.eventId)).bytes;
      else frames = await this.viewer.clip(event.deviceId, event.eventId);
    } catch (error) {
      if (generation !== this.generation) return;
      this.refuse(error, event, cameraName);
      return;
    }
    if (generation !== this.generation || !this.dialog.open) return;
    if (file) {
      this.status.textContent = '';
      this.mp4.video.setAttribute('aria-label', `Clip of ${cameraName}`);
      this.mp4.element.hidden = false;
      this.mp4.download.hidden = false;
      this.mp4.load(file);
      return;
    }
    if (frames.length === 0) {
      this.status.textContent = 'This clip has no frames.';
      return;
    }
    const offsets = clipOffsets(frames.map((frame) => frame.capturedAt));
    this.clip = {
      frames: frames.map((frame) => frame.image),
      offsets,
      length: clipLength(offsets),
    };
    this.status.textContent = '';
    this.position.max = String(frames.length - 1);
    this.position.disabled = false;
    this.playButton.disabled = false;
    this.image.element.setAttribute('aria-label', `Clip frame of ${cameraName}`);
    this.show(0);
    this.play();
  }

  private refuse(error: unknown, event: EventView, cameraName: string): void {
    if (isVerificationFailure(error)) {
      this.warnings.report(
        `${cameraName} · clip of the event at ${formatEventTime(event.record.start, Date.now())}`,
        error,
      );
      this.status.className = 'clip-status clip-rejected';
      this.status.dataset.reason = error.reason;
      this.status.dataset.testid = 'clip-rejected';
      this.status.textContent = `Not shown: ${error.userMessage}`;
    } else {
      this.status.className = 'clip-status availability-notice';
      this.status.textContent = `The clip is not available. ${describeError(error).message}`;
    }
  }

  private show(index: number): void {
    const clip = this.clip;
    if (!clip || index === this.shownIndex) return;
    const frame = clip.frames[index];
    if (!frame) return;
    this.shownIndex = index;
    void this.image.show(frame).then((shown) => {
      if (shown) this.image.element.dataset.frame = String(index);
    });
    this.position.value = String(index);
    this.position.setAttribute('aria-valuetext', `frame ${index + 1} of ${clip.frames.length}`);
    this.time.textContent = `${formatClock(clip.offsets[index] ?? 0)} / ${formatClock(clip.length)}`;
  }

  private play(): void {
    const clip = this.clip;
    if (!clip || this.playing) return;
    let from = clip.offsets[Math.max(0, this.shownIndex)] ?? 0;
    if (this.shownIndex >= clip.frames.length - 1) from = 0; // at the end: play again from the start
    this.playing = true;
    this.startOffset = from;
    this.startedAt = performance.now();
    this.playButton.textContent = 'Pause';
    this.dialog.dataset.playing = 'true';
    const step = (now: number) => {
      if (!this.playing || !this.clip) return;
      const elapsed = this.startOffset + (now - this.startedAt);
      this.show(frameIndexAt(this.clip.offsets, elapsed));
      if (elapsed >= this.clip.length) this.pause();
      else this.frameRequest = requestAnimationFrame(step);
    };
    this.frameRequest = requestAnimationFrame(step);
  }

  private pause(): void {
    this.playing = false;
    cancelAnimationFrame(this.frameRequest);
    this.playButton.textContent = 'Play';
    this.dialog.dataset.playing = 'false';
  }

  private toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private seek(index: number): void {
    this.pause();
    this.show(index);
  }

  private unload(): void {
    this.generation++;
    this.pause();
    this.clip = undefined;
    this.shownIndex = -1;
    this.image.clear();
    this.image.element.hidden = true;
    this.position.value = '0';
    this.position.max = '0';
    this.position.disabled = true;
    this.playButton.disabled = true;
    this.time.textContent = '0:00 / 0:00';
    this.mp4.unload();
    this.mp4.element.hidden = true;
    this.mp4.download.hidden = true;
  }
}
