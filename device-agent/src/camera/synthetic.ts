import sharp from 'sharp';
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import type { CameraSource, JpegFrame, LumaImage } from './frame.js';
import { Ticker } from './ticker.js';

export interface SyntheticCameraOptions {
  readonly cameraId: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** JPEG quality, 1–100. */
  readonly quality?: number;
  readonly motionEverySeconds?: number;
  readonly motionSeconds?: number;
  /** Clock for capture times, Unix milliseconds. */
  readonly now?: () => number;
  /** Burned into the picture under the clock; default the camera id. */
  readonly name?: string;
  /**
   * A flat RGB colour in place of the scrolling hue band (the top 45 %): tests tell cameras apart by
   * it. Default none (the hue band).
   */
  readonly colour?: readonly [number, number, number];
}

/** What one picture shows; everything but `name` and the size is a function of time. */
export interface SyntheticScene {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly motionEverySeconds: number;
  readonly motionSeconds: number;
  readonly name: string;
  /** A flat colour for the top band instead of the scrolling hues; null: the hues. */
  readonly colour?: readonly [number, number, number] | null;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export const LUMA_WIDTH = 64;
export const LUMA_HEIGHT = 36;

const CLOCK_CHARS = 12; // HH:MM:SS.mmm
const BARS: readonly (readonly [number, number, number])[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
];

/**
 * The picture, top to bottom: a hue gradient scrolling right (one image width per 40 s), static 75 %
 * colour bars, static grey steps, and a dark panel at the top left with the capture time (UTC) and the
 * name. The gradient's colours all have the same luma, so a greyscale motion detector does not see the
 * scrolling at all (whatever its background time constant); between quiet frames only the clock's
 * digits change, well under 1 % of a 64×36 downscale at a threshold of 25/255.
 *
 * Motion schedule: with t the time since the camera started, motion is active while
 * `(t mod motionEverySeconds) < motionSeconds` (so also during the first `motionSeconds`). A white
 * block of a third of the width and half the height then crosses the picture left to right, wrapping
 * around, moving half its width per frame at the configured fps: consecutive frames differ in about a
 * sixth of the picture, as does a motion frame from a quiet one (far above 5 % of a 64×36 downscale).
 */
export class SyntheticRenderer {
  /** Packed RGB, overwritten by each `render`. */
  readonly rgb: Buffer;
  readonly scale: number;
  /** Where the clock and the name are drawn, on a dark panel. */
  readonly textAreas: { readonly clock: Rect; readonly name: Rect; readonly panel: Rect };
  private readonly hueRow: Buffer;
  private readonly stepsRow: Buffer;
  private readonly barsRow: Buffer;
  private readonly hueEnd: number;
  private readonly barsEnd: number;
  private readonly nameText: string;
  private readonly lumaColumnBounds: Uint32Array;
  private readonly lumaRowBounds: Uint32Array;
  private readonly lumaCount: Uint32Array;
  private readonly lumaSum = new Uint32Array(LUMA_WIDTH * LUMA_HEIGHT);

  constructor(readonly scene: SyntheticScene) {
    const { width, height } = scene;
    this.rgb = Buffer.alloc(width * height * 3);
    this.scale = textScale(height);
    this.hueEnd = Math.round(height * 0.45);
    this.barsEnd = Math.round(height * 0.8);
    // The scrolling row is two periods long so any offset within a period is a contiguous slice.
    this.hueRow = Buffer.alloc(width * 2 * 3);
    for (let x = 0; x < width * 2; x++) {
      if (scene.colour) this.hueRow.set(scene.colour, x * 3);
      else equalLumaHue((x % width) / width, this.hueRow, x * 3);
    }
    this.barsRow = Buffer.alloc(width * 3);
    this.stepsRow = Buffer.alloc(width * 3);
    for (let x = 0; x < width; x++) {
      const bar = BARS[Math.floor((x * BARS.length) / width)]!;
      this.barsRow[x * 3] = bar[0];
      this.barsRow[x * 3 + 1] = bar[1];
      this.barsRow[x * 3 + 2] = bar[2];
      this.stepsRow.fill(16 + 31 * Math.floor((x * 8) / width), x * 3, x * 3 + 3);
    }
    const maxNameChars = Math.max(0, Math.floor((width / 2 / this.scale + 1) / 6));
    this.nameText = scene.name.slice(0, maxNameChars);
    this.textAreas = textAreas(width, this.scale, this.nameText.length);
    // Block b of the 64×36 grid spans columns [bounds[b], bounds[b + 1]) (likewise rows).
    this.lumaColumnBounds = new Uint32Array(LUMA_WIDTH + 1);
    this.lumaRowBounds = new Uint32Array(LUMA_HEIGHT + 1);
    for (let b = 0; b <= LUMA_WIDTH; b++) this.lumaColumnBounds[b] = Math.ceil((b * width) / LUMA_WIDTH);
    for (let b = 0; b <= LUMA_HEIGHT; b++) this.lumaRowBounds[b] = Math.ceil((b * height) / LUMA_HEIGHT);
    this.lumaCount = new Uint32Array(LUMA_WIDTH * LUMA_HEIGHT);
    const samples = (from: number, to: number) => Math.ceil((to - from) / 2);
    for (let by = 0; by < LUMA_HEIGHT; by++) {
      for (let bx = 0; bx < LUMA_WIDTH; bx++) {
        this.lumaCount[by * LUMA_WIDTH + bx] =
          samples(this.lumaRowBounds[by]!, this.lumaRowBounds[by + 1]!) *
          samples(this.lumaColumnBounds[bx]!, this.lumaColumnBounds[bx + 1]!);
      }
    }
  }

  /** `capturedAt` is shown on the clock; `sinceStartMs` drives the scrolling and the motion schedule. */
  render(capturedAt: number, sinceStartMs: number): Buffer {
    const { width, height } = this.scene;
    const rgb = this.rgb;
    const rowBytes = width * 3;
    const seconds = sinceStartMs / 1000;
    const hueOffset = width - (Math.floor((seconds * width) / 40) % width); // moves right
    fillRows(rgb, rowBytes, 0, this.hueEnd, this.hueRow, hueOffset * 3);
    fillRows(rgb, rowBytes, this.hueEnd, this.barsEnd, this.barsRow, 0);
    fillRows(rgb, rowBytes, this.barsEnd, height, this.stepsRow, 0);

    for (const block of motionBlock(this.scene, sinceStartMs)) fillRect(rgb, width, block, 255);

    const areas = this.textAreas;
    fillRect(rgb, width, areas.panel, 16);
    drawText(rgb, width, height, clockText(capturedAt), areas.clock.x, areas.clock.y, this.scale, 235);
    drawText(rgb, width, height, this.nameText, areas.name.x, areas.name.y, this.scale, 235);
    return rgb;
  }

  /**
   * A 64×36 greyscale copy of the last render: BT.601 luma averaged over each block, sampling every
   * other pixel of every other row (a quarter of the pixels; plenty for motion detection).
   */
  luma(): LumaImage {
    const { width } = this.scene;
    const rgb = this.rgb;
    const sum = this.lumaSum;
    const bounds = this.lumaColumnBounds;
    sum.fill(0);
    for (let by = 0; by < LUMA_HEIGHT; by++) {
      const y1 = this.lumaRowBounds[by + 1]!;
      for (let y = this.lumaRowBounds[by]!; y < y1; y += 2) {
        const row = y * width * 3;
        for (let bx = 0; bx < LUMA_WIDTH; bx++) {
          let acc = 0;
          const end = row + bounds[bx + 1]! * 3;
          for (let p = row + bounds[bx]! * 3; p < end; p += 6)
            acc += 77 * rgb[p]! + 150 * rgb[p + 1]! + 29 * rgb[p + 2]!;
          sum[by * LUMA_WIDTH + bx]! += acc;
        }
      }
    }
    const data = new Uint8Array(LUMA_WIDTH * LUMA_HEIGHT);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(sum[i]! / 256 / this.lumaCount[i]!);
    return { width: LUMA_WIDTH, height: LUMA_HEIGHT, data };
  }
}

/** Renders one frame (pure: the same arguments give the same pixels). */
export function renderSyntheticFrame(
  scene: SyntheticScene,
  capturedAt: number,
  sinceStartMs: number,
): { rgb: Buffer; luma: LumaImage } {
  const renderer = new SyntheticRenderer(scene);
  const rgb = renderer.render(capturedAt, sinceStartMs);
  return { rgb, luma: renderer.luma() };
}

/** Whether the scripted motion is on at `sinceStartMs` after the camera started. */
export function isMotionActive(scene: SyntheticScene, sinceStartMs: number): boolean {
  return windowSeconds(scene, sinceStartMs) < scene.motionSeconds;
}

function windowSeconds(scene: SyntheticScene, sinceStartMs: number): number {
  const period = scene.motionEverySeconds * 1000;
  return (((sinceStartMs % period) + period) % period) / 1000;
}

/**
 * The white block during a motion window: one rectangle, or two when it wraps around the right edge
 * (so its visible area is always the same); empty outside motion windows.
 */
export function motionBlock(scene: SyntheticScene, sinceStartMs: number): Rect[] {
  const inWindow = windowSeconds(scene, sinceStartMs);
  if (inWindow >= scene.motionSeconds) return [];
  const { width, height } = scene;
  const blockWidth = Math.round(width / 3);
  const blockHeight = Math.round(height / 2);
  const y = Math.round((height - blockHeight) / 2);
  const speed = (scene.fps * blockWidth) / 2; // pixels per second: half the block per frame
  const x = Math.floor(inWindow * speed) % width;
  const first = Math.min(blockWidth, width - x);
  const rects = [{ x, y, width: first, height: blockHeight }];
  if (first < blockWidth) rects.push({ x: 0, y, width: blockWidth - first, height: blockHeight });
  return rects;
}

export function textScale(height: number): number {
  return Math.max(1, Math.round(height / 240));
}

function textAreas(
  width: number,
  scale: number,
  nameChars: number,
): { clock: Rect; name: Rect; panel: Rect } {
  const margin = 4 * scale;
  const padding = 2 * scale;
  const lineHeight = GLYPH_HEIGHT * scale;
  const clock = {
    x: margin + padding,
    y: margin + padding,
    width: textWidth(CLOCK_CHARS, scale),
    height: lineHeight,
  };
  const name = {
    x: clock.x,
    y: clock.y + lineHeight + 2 * scale,
    width: textWidth(nameChars, scale),
    height: lineHeight,
  };
  const panelWidth = Math.min(width - margin, Math.max(clock.width, name.width) + 2 * padding);
  const panel = { x: margin, y: margin, width: panelWidth, height: 2 * lineHeight + 2 * scale + 2 * padding };
  return { clock, name, panel };
}

/** HH:MM:SS.mmm of a Unix millisecond time, UTC. */
export function clockText(unixMs: number): string {
  const day = 86_400_000;
  const t = ((Math.floor(unixMs) % day) + day) % day;
  const pad = (n: number, digits: number) => String(n).padStart(digits, '0');
  return `${pad(Math.floor(t / 3_600_000), 2)}:${pad(Math.floor(t / 60_000) % 60, 2)}:${pad(Math.floor(t / 1000) % 60, 2)}.${pad(t % 1000, 3)}`;
}

/** Rows [from, to) each get `rowBytes` of `source` starting at `offset`; one copy, then doubling. */
function fillRows(
  rgb: Buffer,
  rowBytes: number,
  from: number,
  to: number,
  source: Buffer,
  offset: number,
): void {
  if (to <= from) return;
  const start = from * rowBytes;
  const end = to * rowBytes;
  source.copy(rgb, start, offset, offset + rowBytes);
  for (let filled = rowBytes; start + filled < end; filled *= 2) {
    rgb.copyWithin(start + filled, start, Math.min(start + filled, end - filled));
  }
}

function fillRect(rgb: Buffer, width: number, rect: Rect, value: number): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    rgb.fill(value, (y * width + rect.x) * 3, (y * width + rect.x + rect.width) * 3);
  }
}

/**
 * A colour at `phase` (0–1) around the hue circle with luma 128: Cb and Cr on a circle of radius 60
 * (BT.601), so scrolling it is invisible to a greyscale detector yet plainly visible in colour.
 */
function equalLumaHue(phase: number, out: Buffer, at: number): void {
  const angle = phase * 2 * Math.PI;
  const cb = 60 * Math.cos(angle);
  const cr = 60 * Math.sin(angle);
  out[at] = Math.round(128 + 1.402 * cr);
  out[at + 1] = Math.round(128 - 0.344136 * cb - 0.714136 * cr);
  out[at + 2] = Math.round(128 + 1.772 * cb);
}

function checkedNumber(name: string, value: number, min: number, max: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `synthetic camera: ${name} must be ${integer ? 'an integer' : 'a number'} in ${min}–${max}`,
    );
  }
  return value;
}

function checkedColour(colour: readonly number[]): readonly [number, number, number] {
  if (colour.length !== 3) throw new RangeError('synthetic camera: colour must be [red, green, blue]');
  const [red, green, blue] = colour.map((value) => checkedNumber('colour', value, 0, 255, true));
  return [red!, green!, blue!];
}

/**
 * A camera without hardware: renders the test pattern above at `fps`, encodes it to JPEG with sharp
 * and hands over the 64×36 luma it computed from its own pixels. Frames are scheduled on absolute
 * times (no drift); if encoding has not finished when the next frame is due, that frame is skipped.
 */
export class SyntheticCamera implements CameraSource {
  readonly cameraId: string;
  readonly scene: SyntheticScene;
  private readonly quality: number;
  private readonly now: () => number;
  private readonly ticker: Ticker;
  private renderer: SyntheticRenderer | null = null;
  private startedAt = 0;
  private onFrame: (frame: JpegFrame) => void = () => {};
  private onError: (error: Error) => void = () => {};

  constructor(options: SyntheticCameraOptions) {
    this.cameraId = options.cameraId;
    this.scene = {
      width: checkedNumber('width', options.width ?? 1280, 64, 8192, true),
      height: checkedNumber('height', options.height ?? 720, 36, 8192, true),
      fps: checkedNumber('fps', options.fps ?? 15, 0.01, 60, false),
      motionEverySeconds: checkedNumber(
        'motionEverySeconds',
        options.motionEverySeconds ?? 20,
        0.1,
        86_400,
        false,
      ),
      motionSeconds: checkedNumber('motionSeconds', options.motionSeconds ?? 3, 0, 86_400, false),
      name: options.name ?? options.cameraId,
      colour: options.colour ? checkedColour(options.colour) : null,
    };
    this.quality = checkedNumber('quality', options.quality ?? 70, 1, 100, true);
    this.now = options.now ?? Date.now;
    this.ticker = new Ticker(
      1000 / this.scene.fps,
      () => this.capture(),
      (error) => this.onError(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Frames not captured because the previous one was still being encoded. */
  get skippedFrames(): number {
    return this.ticker.skipped;
  }

  start(onFrame: (frame: JpegFrame) => void, onError: (error: Error) => void): void {
    this.renderer ??= new SyntheticRenderer(this.scene);
    this.onFrame = onFrame;
    this.onError = onError;
    this.startedAt = this.now();
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  private async capture(): Promise<undefined> {
    const renderer = this.renderer!;
    const capturedAt = this.now();
    const rgb = renderer.render(capturedAt, capturedAt - this.startedAt);
    const luma = renderer.luma();
    const { width, height } = this.scene;
    let jpeg: Buffer;
    try {
      // The render buffer is reused, which is safe: the next render waits for this encode.
      jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: this.quality })
        .toBuffer();
    } catch (error) {
      throw new Error(`synthetic camera ${this.cameraId}: JPEG encoding failed: ${error}`);
    }
    if (this.ticker.running) this.onFrame({ cameraId: this.cameraId, capturedAt, jpeg, width, height, luma });
    return undefined;
  }
}
