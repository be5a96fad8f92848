import { h } from './dom.js';

/**
 * An MP4 clip (PROTOCOL.md §7.14) in a <video> element, with "Download MP4" offering the same
 * verified bytes.
 *
 * _Why a Blob URL of the whole verified file and not Media Source Extensions fed chunk by chunk:_
 * the SDK verifies the clip as a whole (every chunk against the signed record, in order, the last
 * one marked final), so a truncated or spliced clip is refused before a single frame plays — the
 * same all-or-nothing rule as the JPEG player. Clips are short and capped in size, the download
 * needs the whole file anyway, and a Blob URL gives the browser's own seeking, duration and
 * controls (MSE would need a codec string up front and its own buffer management for a saving of
 * a second or two on a loopback or home connection).
 */
export class Mp4Clip {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly download: HTMLAnchorElement;
  private url: string | undefined;

  constructor(label: string, fileName: string) {
    this.video = h('video', {
      class: 'clip-video',
      'data-testid': 'clip-video',
      controls: true,
      playsinline: true,
      preload: 'auto',
      'aria-label': label,
    });
    // Sound of a recorded clip starts muted too (the live tiles do the same); the controls unmute.
    this.video.muted = true;
    this.download = h(
      'a',
      { class: 'button secondary clip-download', 'data-testid': 'clip-download', download: fileName },
      'Download MP4',
    );
    this.element = h('div', { class: 'clip-mp4' }, this.video);
  }

  /** Shows verified MP4 bytes and starts playing; the download link gets the same bytes. */
  load(bytes: Uint8Array): void {
    this.unload();
    this.url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'video/mp4' }));
    this.video.src = this.url;
    this.download.href = this.url;
    void this.video.play().catch(() => undefined);
  }

  unload(): void {
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.download.removeAttribute('href');
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = undefined;
  }
}
