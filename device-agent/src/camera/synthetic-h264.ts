import sharp from 'sharp';
import { AdtsSplitter } from './adts.js';
import { avcCodecString, NAL_IDR, NAL_SPS, nalUnits } from './annexb.js';
import { AudSplitter } from './aud-splitter.js';
import { backoffDelay, formatDuration } from './backoff.js';
import { CameraError } from './camera-error.js';
import { FfmpegChild, type FfmpegExit } from './ffmpeg-child.js';
import type { CameraFrame, CameraSource } from './frame.js';
import {
  SyntheticCamera,
  type SyntheticCameraOptions,
  SyntheticRenderer,
  type SyntheticScene,
} from './synthetic.js';
import { Ticker } from './ticker.js';

export interface SyntheticH264CameraOptions extends SyntheticCameraOptions {
  /** A 440 Hz tone as AAC beside the video. Default false. */
  readonly audio?: boolean;
  readonly ffmpegPath?: string;
  /** A StillPicture (JPEG + luma, for motion and thumbnails) this often. Default 500 ms. */
  readonly stillEveryMs?: number;
  /** Seconds between keyframes. Default 2. */
  readonly keyframeSeconds?: number;
  readonly stopGraceMs?: number;
}

const MAX_UNIT_BYTES = 8 * 1024 * 1024;
/** Raw frames waiting in ffmpeg's stdin beyond this are not rendered (the encoder is behind). */
const MAX_QUEUED_FRAMES = 3;

/**
 * The synthetic camera's picture (burned-in clock, scripted motion) encoded to H.264 by ffmpeg's
 * libx264 (ultrafast, zerolatency, no B-frames, SPS/PPS and an access unit delimiter on every unit):
 * VideoUnits whose capture time is the render time, StillPictures from the rendered pixels, and
 * optionally an AAC tone. Without ffmpeg it says so once and falls back to the JPEG synthetic camera.
 */
export class SyntheticH264Camera implements CameraSource {
  readonly cameraId: string;
  readonly scene: SyntheticScene;
  private readonly options: SyntheticH264CameraOptions;
  private readonly now: () => number;
  private readonly ticker: Ticker;
  private readonly units: AudSplitter;
  private readonly adts: AdtsSplitter;
  private renderer: SyntheticRenderer | null = null;
  private child: FfmpegChild | null = null;
  /** The JPEG camera started instead when ffmpeg is missing. */
  private readonly fallbackCamera: SyntheticCamera;
  private fallback: SyntheticCamera | null = null;
  private running = false;
  private startedAt = 0;
  private audioStartMs = 0;
  private audioSamples = 0;
  private lastStillAt = Number.NEGATIVE_INFINITY;
  private lastUnitUs = 0;
  private codecString = '';
  private renderTimes: number[] = [];
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stills: Promise<void> = Promise.resolve();
  private onFrame: (frame: CameraFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};
  /** Frames not rendered because the encoder was behind. */
  skippedFrames = 0;

  constructor(options: SyntheticH264CameraOptions) {
    this.cameraId = options.cameraId;
    this.options = options;
    // The JPEG camera checks the options and holds the scene; it is also the fallback.
    const jpegCamera = new SyntheticCamera(options);
    this.scene = jpegCamera.scene;
    this.fallbackCamera = jpegCamera;
    this.now = options.now ?? Date.now;
    this.ticker = new Ticker(
      1000 / this.scene.fps,
      () => this.renderFrame(),
      (error) => this.report(new CameraError('exited', String(error))),
    );
    this.units = new AudSplitter(
      (unit) => this.unit(unit),
      MAX_UNIT_BYTES,
      (message) => this.report(new CameraError('bad-stream', message)),
    );
    this.adts = new AdtsSplitter(
      (frame) => {
        const capturedAtUs = Math.round(
          this.audioStartMs * 1000 + (this.audioSamples * 1e6) / frame.sampleRate,
        );
        this.audioSamples += 1024;
        this.onFrame({
          kind: 'aac',
          cameraId: this.cameraId,
          capturedAtUs,
          capturedAt: Math.floor(capturedAtUs / 1000),
          ...frame,
        });
      },
      (message) => this.report(new CameraError('bad-stream', message)),
    );
  }

  /** Whether it fell back to JPEG frames (ffmpeg missing). */
  get fellBack(): boolean {
    return this.fallback !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(onFrame: (frame: CameraFrame) => void, onError: (error: Error) => void): void {
    if (this.running) throw new Error(`synthetic camera ${this.cameraId} is already started`);
    this.onFrame = onFrame;
    this.onError = onError;
    this.running = true;
    this.renderer ??= new SyntheticRenderer(this.scene);
    this.startedAt = this.now();
    this.spawn();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.ticker.stop();
    this.child?.stdin?.end();
    await this.child?.stop(this.options.stopGraceMs ?? 3000);
    await this.fallback?.stop();
    await this.stills;
  }

  private spawn(): void {
    this.retryTimer = null;
    if (!this.running) return;
    const { width, height, fps } = this.scene;
    const gop = Math.max(1, Math.round(fps * (this.options.keyframeSeconds ?? 2)));
    // biome-ignore format: option pairs read best one per line
    const args = [
      '-hide_banner', '-nostats', '-loglevel', 'level+warning',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      ...(this.options.audio ? ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
      '-map', '0:v', '-fps_mode', 'passthrough',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1', '-bf', '0',
      '-g', String(gop), '-pix_fmt', 'yuv420p', '-x264-params', 'aud=1:repeat-headers=1',
      '-flush_packets', '1', '-f', 'h264', 'pipe:1',
      ...(this.options.audio
        ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k', '-flush_packets', '1', '-f', 'adts', 'pipe:3']
        : []),
    ];
    this.units.reset();
    this.codecString = '';
    this.adts.reset();
    this.renderTimes = [];
    this.audioSamples = 0;
    this.audioStartMs = this.now();
    const child = new FfmpegChild({
      path: this.options.ffmpegPath ?? 'ffmpeg',
      args,
      stdin: true,
      extraPipes: 1,
      onData: (fd, chunk) => {
        if (this.child !== child || !this.running) return;
        if (fd === 1) this.units.push(chunk);
        else this.adts.push(chunk);
      },
    });
    this.child = child;
    void child.exited.then((exit) => this.exited(child, exit));
    if (child.pid !== undefined && !this.ticker.running) this.ticker.start();
  }

  private renderFrame(): undefined {
    const child = this.child;
    const stdin = child?.stdin;
    if (!this.running || !child || !stdin || !child.running) return undefined;
    const { width, height } = this.scene;
    if (stdin.writableLength >= MAX_QUEUED_FRAMES * width * height * 3) {
      this.skippedFrames++;
      return undefined;
    }
    const renderer = this.renderer!;
    const capturedAt = this.now();
    const rgb = renderer.render(capturedAt, capturedAt - this.startedAt);
    this.renderTimes.push(capturedAt);
    stdin.write(Buffer.from(rgb));
    if (capturedAt - this.lastStillAt >= (this.options.stillEveryMs ?? 500)) {
      this.lastStillAt = capturedAt;
      this.still(Buffer.from(rgb), renderer.luma(), capturedAt);
    }
    return undefined;
  }

  private still(rgb: Buffer, luma: ReturnType<SyntheticRenderer['luma']>, capturedAt: number): void {
    const { width, height } = this.scene;
    this.stills = this.stills
      .then(async () => {
        const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } })
          .jpeg({ quality: 80 })
          .toBuffer();
        if (this.running)
          this.onFrame({ kind: 'still', cameraId: this.cameraId, capturedAt, jpeg, width, height, luma });
      })
      .catch((error) => this.report(new CameraError('bad-stream', `still: ${error}`)));
  }

  private unit(data: Uint8Array): void {
    const renderedAt = this.renderTimes.shift();
    if (renderedAt === undefined || !this.running) return;
    const nals = nalUnits(data);
    const sps = nals.find((nal) => nal.type === NAL_SPS);
    if (sps) this.codecString = avcCodecString(sps.data);
    if (!this.codecString) return; // nothing decodes before the first SPS (x264 puts one on every keyframe)
    const capturedAtUs = Math.max(renderedAt * 1000, this.lastUnitUs + 1);
    this.lastUnitUs = capturedAtUs;
    this.failures = 0;
    this.onFrame({
      kind: 'h264',
      cameraId: this.cameraId,
      capturedAtUs,
      capturedAt: Math.floor(capturedAtUs / 1000),
      data,
      keyframe: nals.some((nal) => nal.type === NAL_IDR),
      width: this.scene.width,
      height: this.scene.height,
      codecString: this.codecString,
    });
  }

  private exited(child: FfmpegChild, exit: FfmpegExit): void {
    if (this.child !== child) return;
    this.child = null;
    if (!this.running) return;
    const errno = exit.error?.code;
    if (errno === 'ENOENT' || errno === 'EACCES') {
      void this.ticker.stop();
      this.report(
        new CameraError(
          'ffmpeg-missing',
          `ffmpeg ${errno === 'ENOENT' ? 'not found' : 'not executable'} (tried "${this.options.ffmpegPath ?? 'ffmpeg'}"): falling back to the JPEG synthetic camera (install ffmpeg for H.264)`,
        ),
      );
      this.fallback = this.fallbackCamera;
      this.fallback.start(
        (frame) => this.onFrame(frame),
        (error) => this.onError(error),
      );
      return;
    }
    this.failures++;
    const delay = backoffDelay(this.failures, 1000, 30_000);
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    this.report(
      new CameraError(
        'exited',
        `ffmpeg exited (${how})${exit.stderr ? `; stderr: ${exit.stderr}` : ''}; retrying in ${formatDuration(delay)}`,
        delay,
      ),
    );
    this.retryTimer = setTimeout(() => this.spawn(), delay);
  }

  private report(error: CameraError): void {
    if (!this.running) return;
    this.onError(
      new CameraError(error.reason, `synthetic camera ${this.cameraId}: ${error.message}`, error.retryInMs),
    );
  }
}
