import { type MediaFixture, type MediaFixtureOptions, mediaFixture } from '@sealcam/testkit/media-fixture';
import sharp from 'sharp';
import type {
  AudioUnit,
  CameraFrame,
  CameraSource,
  LumaImage,
  StillPicture,
  VideoUnit,
} from '../../src/camera/frame.js';

/** Unix µs of the fixture's first unit: a fixed wall time, so tests can compute expected times. */
export const T0_US = 1_700_000_000_000_000;

const LUMA_W = 64;
const LUMA_H = 36;

/** A passthrough camera's delivery made from the real libx264/AAC fixture, in capture order. */
export interface PassthroughTake {
  readonly fixture: MediaFixture;
  readonly video: VideoUnit[];
  readonly audio: AudioUnit[];
  /** Video, audio and stills interleaved by capture time (stills before units at the same ms). */
  readonly frames: (VideoUnit | AudioUnit | StillPicture)[];
}

function adtsRate(data: Uint8Array): number {
  const rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
  return rates[(data[2]! >> 2) & 0x0f] ?? 48000;
}

function adtsChannels(data: Uint8Array): number {
  return ((data[2]! & 0x01) << 2) | (data[3]! >> 6);
}

/** A still scene, plus a bright block moving 4 px per picture when `moving`. */
function lumaPixels(i: number, moving: boolean): LumaImage {
  const data = new Uint8Array(LUMA_W * LUMA_H);
  for (let p = 0; p < data.length; p++) data[p] = 100 + ((p % LUMA_W) >> 3) + ((p * 7 + i * 13) % 5);
  if (moving) {
    const x = (i * 4) % (LUMA_W - 12);
    for (let row = 10; row < 22; row++) data.fill(250, row * LUMA_W + x, row * LUMA_W + x + 12);
  }
  return { width: LUMA_W, height: LUMA_H, data };
}

/**
 * The fixture's units as the agent's frame types, with stills every `stillEveryMs` whose luma shows
 * motion while `moving(ms since start)` holds. Each still carries a real small JPEG (for thumbnails).
 */
export async function passthroughTake(
  options: MediaFixtureOptions & {
    cameraId?: string;
    stillEveryMs?: number;
    moving?: (ms: number) => boolean;
    t0Us?: number;
  } = {},
): Promise<PassthroughTake> {
  const { cameraId = 'cam-1', stillEveryMs = 200, moving = () => false, t0Us = T0_US, ...media } = options;
  const fixture = mediaFixture(media);
  const video: VideoUnit[] = fixture.video.map((unit) => ({
    kind: 'h264',
    cameraId,
    capturedAtUs: t0Us + unit.ptsUs,
    capturedAt: Math.floor((t0Us + unit.ptsUs) / 1000),
    data: unit.data,
    keyframe: unit.keyframe,
    width: fixture.width,
    height: fixture.height,
    codecString: fixture.codecString,
  }));
  const audio: AudioUnit[] = fixture.audio.map((unit) => ({
    kind: 'aac',
    cameraId,
    capturedAtUs: t0Us + unit.ptsUs,
    capturedAt: Math.floor((t0Us + unit.ptsUs) / 1000),
    data: unit.data,
    sampleRate: adtsRate(unit.data),
    channels: adtsChannels(unit.data),
  }));
  const jpeg = await sharp({
    create: { width: 160, height: 90, channels: 3, background: { r: 40, g: 120, b: 200 } },
  })
    .jpeg()
    .toBuffer();
  const durationMs = (fixture.video.length * 1000) / fixture.fps;
  const stills: StillPicture[] = [];
  for (let i = 0, ms = 0; ms < durationMs && i < 10_000; i++, ms += stillEveryMs)
    stills.push({
      kind: 'still',
      cameraId,
      capturedAt: Math.floor(t0Us / 1000) + ms,
      jpeg: new Uint8Array(jpeg),
      width: 160,
      height: 90,
      luma: lumaPixels(i, moving(ms)),
    });
  const rank = (frame: CameraFrame) => (frame.kind === 'still' ? 0 : 1);
  const frames: (VideoUnit | AudioUnit | StillPicture)[] = [...stills, ...video, ...audio].sort(
    (a, b) => a.capturedAt - b.capturedAt || rank(a) - rank(b),
  );
  return { fixture, video, audio, frames };
}

/**
 * A CameraSource that replays frames (for Agent.start's createSource seam), `everyMs` apart, then
 * stops delivering. Bounded: it delivers each frame once.
 */
export class ReplaySource implements CameraSource {
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  delivered = 0;

  constructor(
    readonly cameraId: string,
    private readonly frames: readonly CameraFrame[],
    private readonly perTick = 4,
    private readonly everyMs = 20,
  ) {}

  start(onFrame: (frame: CameraFrame) => void): void {
    this.timer = setInterval(() => {
      for (let n = 0; n < this.perTick && this.index < this.frames.length; n++) {
        onFrame(this.frames[this.index++]!);
        this.delivered++;
      }
      if (this.index >= this.frames.length && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
