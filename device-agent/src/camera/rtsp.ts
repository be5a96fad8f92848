import { type ChildProcess, spawn } from 'node:child_process';
import { backoffDelay, formatDuration } from './backoff.js';
import type { CameraSource, JpegFrame } from './frame.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { redactSecrets, redactUrlCredentials } from './redact-url.js';

export interface RtspCameraOptions {
  readonly cameraId: string;
  /** rtsp(s)://[user:password@]host[:port]/path */
  readonly url: string;
  /** Output rate (ffmpeg's fps filter). Default 15. */
  readonly fps?: number;
  /** Scale to this size; with only one of them the other keeps the aspect ratio. Default: as received. */
  readonly width?: number;
  readonly height?: number;
  /** RTP over the RTSP connection (tcp, the default: works through NAT and firewalls) or udp. */
  readonly transport?: 'tcp' | 'udp';
  readonly ffmpegPath?: string;
  /** ffmpeg's MJPEG -q:v, 2 (best) … 31. Default 5. */
  readonly jpegQuality?: number;
  /** ffmpeg is restarted when no frame has come for this long. Default 20 s. */
  readonly stallTimeoutMs?: number;
  /** Restart delay: doubles from `retryMinMs` (default 1 s) per failure up to `retryMaxMs` (30 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Retry delay when the ffmpeg program is missing. Default 60 s. */
  readonly missingProgramRetryMs?: number;
  /** After SIGTERM, SIGKILL follows after this. Default 3 s. */
  readonly stopGraceMs?: number;
  /** Default 8 MiB. */
  readonly maxFrameBytes?: number;
}

const STDERR_TAIL_CHARS = 4096;
const STDERR_LINES_REPORTED = 5;

/**
 * An RTSP camera through an ffmpeg child process that decodes the stream and writes MJPEG to its
 * stdout. The URL is passed as an argument (never through a shell); its credentials are removed from
 * every error, including ffmpeg's own stderr. ffmpeg is restarted with a bounded doubling delay after it
 * exits or stalls; the delay resets once a frame arrives.
 */
export class RtspCamera implements CameraSource {
  readonly cameraId: string;
  private readonly url: string;
  private readonly safeUrl: string;
  private readonly ffmpegPath: string;
  private readonly args: readonly string[];
  private readonly stallTimeoutMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly missingProgramRetryMs: number;
  private readonly stopGraceMs: number;
  private readonly splitter: JpegSplitter;
  private running = false;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  /** Why this side ended the current ffmpeg, if it did. */
  private killReason: string | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private onFrame: (frame: JpegFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};
  /** ffmpeg processes started, including restarts. */
  starts = 0;

  constructor(options: RtspCameraOptions) {
    this.cameraId = options.cameraId;
    this.url = options.url;
    if (!/^rtsps?:\/\//i.test(options.url)) {
      throw new Error(`rtsp camera ${options.cameraId}: URL must be rtsp:// or rtsps://`);
    }
    this.safeUrl = redactUrlCredentials(options.url);
    this.ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
    this.stallTimeoutMs = options.stallTimeoutMs ?? 20_000;
    this.retryMinMs = options.retryMinMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.missingProgramRetryMs = options.missingProgramRetryMs ?? 60_000;
    this.stopGraceMs = options.stopGraceMs ?? 3000;
    this.args = ffmpegArguments(options);
    this.splitter = new JpegSplitter({
      ...(options.maxFrameBytes === undefined ? {} : { maxBytes: options.maxFrameBytes }),
      onImage: (image) => {
        if (!this.running) return;
        this.failures = 0;
        this.armStallTimer();
        this.onFrame({ cameraId: this.cameraId, capturedAt: Date.now(), ...image });
      },
      onError: (error) => this.report(error.message),
    });
  }

  /** The running ffmpeg's process id (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(onFrame: (frame: JpegFrame) => void, onError: (error: Error) => void): void {
    if (this.running) throw new Error(`rtsp camera ${this.cameraId} is already started`);
    this.onFrame = onFrame;
    this.onError = onError;
    this.running = true;
    this.spawnFfmpeg();
  }

  /** Ends ffmpeg (SIGTERM, then SIGKILL after the grace period) and resolves once it has exited. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.retryTimer = this.stallTimer = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), this.stopGraceMs);
      await this.exited;
      clearTimeout(kill);
    }
    await this.exited;
  }

  private spawnFfmpeg(): void {
    this.retryTimer = null;
    if (!this.running) return;
    this.starts++;
    this.splitter.reset();
    this.stderrTail = '';
    this.killReason = null;
    const child = spawn(this.ffmpegPath, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let settled = false;
    this.exited = new Promise((resolve) => {
      const gone = (error: Error | null, code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        resolve();
        this.ffmpegGone(child, error, code, signal);
      };
      child.once('error', (error) => {
        // A process that never started emits only 'error'; one that did still emits 'close'.
        if (child.pid === undefined) gone(error, null, null);
        else if (!this.killReason) this.killReason = `ffmpeg: ${error.message}`;
      });
      child.once('close', (code, signal) => gone(null, code, signal));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.child === child) this.splitter.push(chunk);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    this.armStallTimer();
  }

  private armStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      const child = this.child;
      if (!child || !this.running) return;
      this.killReason = `no frame for ${formatDuration(this.stallTimeoutMs)}`;
      child.kill('SIGKILL');
    }, this.stallTimeoutMs);
  }

  private ffmpegGone(
    child: ChildProcess,
    error: Error | null,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (!this.running) return;
    const errno = (error as NodeJS.ErrnoException | null)?.code;
    let reason: string;
    let delay: number;
    if (errno === 'ENOENT' || errno === 'EACCES') {
      delay = this.missingProgramRetryMs;
      reason =
        errno === 'ENOENT'
          ? `ffmpeg not found: install ffmpeg (e.g. apt-get install ffmpeg) or set ffmpegPath (tried "${this.ffmpegPath}")`
          : `ffmpeg at "${this.ffmpegPath}" is not executable`;
    } else {
      this.failures++;
      delay = backoffDelay(this.failures, this.retryMinMs, this.retryMaxMs);
      const how = error
        ? `ffmpeg did not start: ${error.message}`
        : `ffmpeg exited (${signal ? `signal ${signal}` : `code ${code}`})`;
      const stderr = lastLines(this.stderrTail, STDERR_LINES_REPORTED);
      reason = [this.killReason, how, stderr && `stderr: ${stderr}`].filter(Boolean).join('; ');
    }
    this.report(`${reason}; retrying in ${formatDuration(delay)}`);
    this.retryTimer = setTimeout(() => this.spawnFfmpeg(), delay);
  }

  private report(reason: string): void {
    if (!this.running) return;
    const message = redactSecrets(`rtsp camera ${this.cameraId} (${this.safeUrl}): ${reason}`, this.url);
    this.onError(new Error(message));
  }
}

/** ffmpeg's command line (the URL is one argument; no shell is involved). */
export function ffmpegArguments(options: RtspCameraOptions): string[] {
  const filters = [`fps=${options.fps ?? 15}`];
  if (options.width !== undefined || options.height !== undefined) {
    filters.push(`scale=${options.width ?? -2}:${options.height ?? -2}`);
  }
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-rtsp_transport',
    options.transport ?? 'tcp',
    '-i',
    options.url,
    '-an',
    '-vf',
    filters.join(','),
    '-c:v',
    'mjpeg',
    '-q:v',
    String(options.jpegQuality ?? 5),
    '-f',
    'image2pipe',
    'pipe:1',
  ];
}

/** The last lines of ffmpeg's stderr, printable characters only, joined with " | ". */
function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.replace(/[^\x20-\x7e]/g, '').trim())
    .filter((line) => line.length > 0)
    .slice(-count)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join(' | ');
}
