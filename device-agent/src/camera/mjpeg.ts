import http from 'node:http';
import https from 'node:https';
import { backoffDelay, formatDuration } from './backoff.js';
import type { CameraSource, JpegFrame } from './frame.js';
import { jpegSize } from './jpeg-size.js';
import { DEFAULT_MAX_JPEG_BYTES } from './jpeg-splitter.js';
import { MultipartParser, multipartBoundary } from './multipart-parser.js';
import { redactSecrets, redactUrlCredentials } from './redact-url.js';

export interface MjpegCameraOptions {
  readonly cameraId: string;
  /** http(s)://[user:password@]host[:port]/path of a `multipart/x-mixed-replace` JPEG stream. */
  readonly url: string;
  /** Frames above this rate are dropped. Default: every frame the camera sends. */
  readonly fps?: number;
  /** Connection and response headers must arrive within this. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** The connection is dropped after this long without a byte. Default 10 s. */
  readonly idleTimeoutMs?: number;
  /** Reconnect delay: doubles from `retryMinMs` (default 1 s) per failure up to `retryMaxMs` (30 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** false accepts a self-signed certificate (common on cameras). Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * An HTTP(S) MJPEG camera. Basic auth comes from the URL's credentials, which never appear in errors.
 * After a failure or a closed stream it reconnects with a bounded doubling delay; the delay resets once
 * a frame arrives.
 */
export class MjpegCamera implements CameraSource {
  readonly cameraId: string;
  private readonly url: URL;
  private readonly safeUrl: string;
  private readonly minIntervalMs: number;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly maxFrameBytes: number;
  private readonly rejectUnauthorized: boolean;
  private running = false;
  private request: http.ClientRequest | null = null;
  private closed: Promise<void> = Promise.resolve();
  private connectTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private nextFrameAt = 0;
  private onFrame: (frame: JpegFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};
  /** Connections made, including reconnections. */
  connections = 0;

  constructor(options: MjpegCameraOptions) {
    this.cameraId = options.cameraId;
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new Error(`mjpeg camera ${options.cameraId}: URL must be http:// or https://`);
    }
    this.safeUrl = redactUrlCredentials(this.url.href);
    this.minIntervalMs = options.fps ? 1000 / options.fps : 0;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.retryMinMs = options.retryMinMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_JPEG_BYTES;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
  }

  start(onFrame: (frame: JpegFrame) => void, onError: (error: Error) => void): void {
    if (this.running) throw new Error(`mjpeg camera ${this.cameraId} is already started`);
    this.onFrame = onFrame;
    this.onError = onError;
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.disconnect();
    await this.closed;
  }

  private connect(): void {
    this.retryTimer = null;
    if (!this.running) return;
    this.connections++;
    const url = this.url;
    const headers: Record<string, string> = { accept: 'multipart/x-mixed-replace, image/jpeg' };
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      rejectUnauthorized: this.rejectUnauthorized,
    };
    const request = (url.protocol === 'https:' ? https : http).request(options);
    this.request = request;
    this.closed = new Promise((resolve) => request.once('close', resolve));
    this.connectTimer = setTimeout(
      () => this.fail(request, `no response within ${formatDuration(this.connectTimeoutMs)}`),
      this.connectTimeoutMs,
    );
    request.on('error', (error) => this.fail(request, error.message));
    request.on('response', (response) => this.receive(request, response));
    request.end();
  }

  private receive(request: http.ClientRequest, response: http.IncomingMessage): void {
    if (request !== this.request) return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (response.statusCode !== 200) {
      response.resume();
      this.fail(request, `HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim());
      return;
    }
    const boundary = multipartBoundary(response.headers['content-type']);
    if (!boundary) {
      response.resume();
      const type = response.headers['content-type'] ?? 'none';
      this.fail(request, `expected Content-Type multipart/x-mixed-replace with a boundary, got ${type}`);
      return;
    }
    let reportedBadPart = false;
    const parser = new MultipartParser(boundary, {
      maxPartBytes: this.maxFrameBytes,
      onError: (error) => this.report(error.message),
      onPart: (jpeg) => {
        if (request !== this.request) return;
        const size = jpegSize(jpeg);
        if (!size) {
          if (!reportedBadPart) this.report('a part is not a JPEG (skipped; reported once per connection)');
          reportedBadPart = true;
          return;
        }
        this.failures = 0;
        const now = Date.now();
        // A quarter interval of tolerance, so a camera sending at about the cap loses nothing to jitter.
        if (now < this.nextFrameAt - this.minIntervalMs / 4) return;
        this.nextFrameAt = Math.max(this.nextFrameAt + this.minIntervalMs, now + this.minIntervalMs / 2);
        this.onFrame({
          cameraId: this.cameraId,
          capturedAt: now,
          jpeg,
          width: size.width,
          height: size.height,
        });
      },
    });
    this.resetIdleTimer(request);
    response.on('data', (chunk: Buffer) => {
      if (request !== this.request) return;
      this.resetIdleTimer(request);
      parser.push(chunk);
    });
    response.on('end', () => this.fail(request, 'the camera closed the stream'));
    response.on('error', (error) => this.fail(request, error.message));
    response.on('close', () => this.fail(request, 'the connection closed'));
  }

  private resetIdleTimer(request: http.ClientRequest): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () => this.fail(request, `no data for ${formatDuration(this.idleTimeoutMs)}`),
      this.idleTimeoutMs,
    );
  }

  /** Ends this connection (once) and schedules the next one. */
  private fail(request: http.ClientRequest, reason: string): void {
    if (request !== this.request) return;
    this.disconnect();
    if (!this.running) return;
    this.failures++;
    const delay = backoffDelay(this.failures, this.retryMinMs, this.retryMaxMs);
    this.report(`${reason}; reconnecting in ${formatDuration(delay)}`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private disconnect(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.connectTimer = this.idleTimer = null;
    const request = this.request;
    this.request = null;
    request?.destroy();
  }

  private report(reason: string): void {
    if (!this.running) return;
    const message = redactSecrets(
      `mjpeg camera ${this.cameraId} (${this.safeUrl}): ${reason}`,
      this.url.href,
    );
    this.onError(new Error(message));
  }
}
