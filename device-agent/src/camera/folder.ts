import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { CameraSource, JpegFrame } from './frame.js';
import { Ticker } from './ticker.js';

export interface FolderCameraOptions {
  readonly cameraId: string;
  /** Directory with .jpg, .jpeg, .png or .webp images, shown in name order and looped. */
  readonly path: string;
  readonly fps?: number;
  /** Wait before looking again at a missing, empty or unreadable directory. Default 5 s. */
  readonly retryMs?: number;
  /** JPEG quality for converted PNG and WebP images. Default 90. */
  readonly quality?: number;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;
const MAX_CACHED_BYTES = 64 * 1024 * 1024;

interface Loaded {
  /** mtime and size when it was loaded: a changed file is loaded again. */
  readonly signature: string;
  /** Converted images are kept (within a budget); JPEGs are read again each time. */
  readonly jpeg: Buffer | null;
  readonly width: number;
  readonly height: number;
}

/**
 * Plays the images of a directory in name order (code-unit order, like `LC_ALL=C ls`), looping, at
 * `fps`. The listing is read again at the start of every pass, so images can be added or removed while
 * it runs. JPEGs pass through unchanged (decoded once to check them); other formats are converted.
 */
export class FolderCamera implements CameraSource {
  readonly cameraId: string;
  private readonly path: string;
  private readonly retryMs: number;
  private readonly quality: number;
  private readonly ticker: Ticker;
  private files: string[] = [];
  private index = 0;
  private passHadFrame = false;
  private readonly loaded = new Map<string, Loaded>();
  /** Files reported as unreadable, by signature, so each bad version is reported once. */
  private readonly bad = new Map<string, string>();
  private cachedBytes = 0;
  private onFrame: (frame: JpegFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};

  constructor(options: FolderCameraOptions) {
    this.cameraId = options.cameraId;
    this.path = options.path;
    this.retryMs = options.retryMs ?? 5000;
    this.quality = options.quality ?? 90;
    const fps = options.fps ?? 2;
    if (!(fps > 0 && fps <= 60)) throw new RangeError('folder camera: fps must be in (0, 60]');
    this.ticker = new Ticker(
      1000 / fps,
      () => this.step(),
      (error) => this.onError(error instanceof Error ? error : new Error(String(error))),
    );
  }

  start(onFrame: (frame: JpegFrame) => void, onError: (error: Error) => void): void {
    this.onFrame = onFrame;
    this.onError = onError;
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One frame; returns a delay before the next attempt when the directory gives nothing. */
  private async step(): Promise<number | undefined> {
    // At most two passes: the rest of the current listing, then a fresh one from the start.
    for (let pass = 0; pass < 2; pass++) {
      if (this.index >= this.files.length) {
        if (this.files.length > 0 && !this.passHadFrame) {
          this.files = [];
          return this.fail(`no readable images in ${this.path}`);
        }
        this.index = 0;
        this.passHadFrame = false;
        try {
          this.files = await this.list();
        } catch (error) {
          return this.fail(describeListError(error, this.path));
        }
        if (this.files.length === 0) return this.fail(`no images (.jpg, .jpeg, .png, .webp) in ${this.path}`);
      }
      while (this.index < this.files.length && this.ticker.running) {
        const frame = await this.load(this.files[this.index++]!);
        if (!frame) continue;
        this.passHadFrame = true;
        if (this.ticker.running) this.onFrame(frame);
        return undefined;
      }
    }
    return undefined;
  }

  private fail(message: string): number {
    if (this.ticker.running) this.onError(new Error(`folder camera ${this.cameraId}: ${message}`));
    return this.retryMs;
  }

  private async list(): Promise<string[]> {
    const entries = await readdir(this.path, { withFileTypes: true });
    return entries
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && IMAGE.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async load(name: string): Promise<JpegFrame | null> {
    const file = join(this.path, name);
    let signature = '';
    try {
      const info = await stat(file);
      signature = `${info.mtimeMs}:${info.size}`;
      if (this.bad.get(file) === signature) return null;
      const known = this.loaded.get(file);
      if (known?.signature === signature && known.jpeg) return this.frame(known.jpeg, known);
      const data = await readFile(file);
      const isJpeg = /^\.jpe?g$/i.test(extname(name));
      if (known?.signature === signature && isJpeg) return this.frame(data, known);
      const entry = isJpeg ? await this.checkJpeg(data, signature) : await this.convert(data, signature);
      this.remember(file, entry);
      return this.frame(entry.jpeg ?? data, entry);
    } catch (error) {
      this.forget(file);
      if (signature) this.bad.set(file, signature);
      if (this.ticker.running) {
        const reason = error instanceof Error ? error.message : String(error);
        this.onError(new Error(`folder camera ${this.cameraId}: skipping ${file}: ${reason}`));
      }
      return null;
    }
  }

  private frame(jpeg: Buffer, size: { width: number; height: number }): JpegFrame {
    return { cameraId: this.cameraId, capturedAt: Date.now(), jpeg, width: size.width, height: size.height };
  }

  private async checkJpeg(data: Buffer, signature: string): Promise<Loaded> {
    const { width, height } = await sharp(data).metadata();
    if (!width || !height) throw new Error('no image size');
    // A full decode at reduced size (shrink-on-load) catches truncated and corrupt files, once per file.
    await sharp(data).resize(16, 16, { fit: 'fill' }).raw().toBuffer();
    return { signature, jpeg: null, width, height };
  }

  private async convert(data: Buffer, signature: string): Promise<Loaded> {
    const { data: jpeg, info } = await sharp(data)
      .jpeg({ quality: this.quality })
      .toBuffer({ resolveWithObject: true });
    return { signature, jpeg, width: info.width, height: info.height };
  }

  private remember(file: string, entry: Loaded): void {
    this.forget(file);
    this.bad.delete(file);
    const bytes = entry.jpeg?.length ?? 0;
    if (this.cachedBytes + bytes > MAX_CACHED_BYTES) return;
    this.loaded.set(file, entry);
    this.cachedBytes += bytes;
  }

  private forget(file: string): void {
    const old = this.loaded.get(file);
    if (!old) return;
    this.cachedBytes -= old.jpeg?.length ?? 0;
    this.loaded.delete(file);
  }
}

function describeListError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${path} does not exist`;
  if (code === 'ENOTDIR') return `${path} is not a directory`;
  if (code === 'EACCES') return `directory ${path} is not readable (permission denied)`;
  return `cannot list ${path}: ${error instanceof Error ? error.message : String(error)}`;
}
