import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { testCamera } from './agent.js';

export type Rgb = readonly [number, number, number];

/**
 * Colours far apart (at least ~200 in RGB distance), one per test camera: a picture's colour read
 * back after JPEG, resizing and sealing tells whose camera took it.
 */
export const CAMERA_COLOURS: readonly Rgb[] = [
  [200, 40, 40],
  [40, 60, 210],
  [40, 170, 60],
];

const WIDTH = 320;
const HEIGHT = 180;
const FRAMES = 40;
const MOTION_FROM = 30;

/**
 * A folder camera (device-agent/src/camera/folder.ts) whose pictures are all of one colour: 40 JPEGs
 * played at 10 fps and looped, the first 30 the plain colour, the last 10 with a white block crossing
 * the middle band (motion: an event about every 4 s, as testCamera). The top eighth of every picture
 * is never covered: `pictureColour` reads it. Returns the camera's configuration entry.
 */
export function colouredCamera(id: string, colour: Rgb, overrides: Record<string, unknown> = {}) {
  const path = mkdtempSync(join(tmpdir(), `sealcam-coloured-${id}-`));
  const blockWidth = WIDTH / 4;
  const blockTop = HEIGHT / 4;
  const blockBottom = (HEIGHT * 3) / 4;
  return Promise.all(
    Array.from({ length: FRAMES }, async (_, index) => {
      const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
      for (let p = 0; p < WIDTH * HEIGHT; p++) rgb.set(colour, p * 3);
      if (index >= MOTION_FROM) {
        const left = Math.round(((index - MOTION_FROM) * (WIDTH - blockWidth)) / (FRAMES - MOTION_FROM - 1));
        for (let y = blockTop; y < blockBottom; y++)
          rgb.fill(255, (y * WIDTH + left) * 3, (y * WIDTH + left + blockWidth) * 3);
      }
      const jpeg = await sharp(rgb, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
        .jpeg({ quality: 80 })
        .toBuffer();
      writeFileSync(join(path, `frame-${String(index).padStart(3, '0')}.jpg`), jpeg);
    }),
  ).then(() => ({
    id,
    source: 'folder',
    path,
    fps: 10,
    motion: { cooldownSeconds: 0.5, endAfterSeconds: 0.3, backgroundSeconds: 0.5 },
    clip: { preRollSeconds: 0.5, postRollSeconds: 0.5 },
    ...overrides,
  }));
}

/**
 * A synthetic H.264 camera (device-agent's `source: 'synthetic', codec: 'h264'`, libx264 via ffmpeg)
 * with its AAC tone, whose top band is one flat colour (the option `colour`) instead of the scrolling
 * hues: every picture's top eighth right of the clock panel is that colour, so `pictureColour` of any
 * decoded picture tells whose camera took it. Motion (so events and clips) as testCamera; a keyframe
 * every second. Returns the camera's configuration entry.
 */
export function colouredH264Camera(id: string, colour: Rgb, overrides: Record<string, unknown> = {}) {
  return testCamera(id, {
    codec: 'h264',
    audio: true,
    keyframeSeconds: 1,
    colour: [...colour],
    ...overrides,
  });
}

/**
 * The mean colour of a picture's top eighth, right half (decoded; any image format sharp reads, any
 * size): a coloured camera's colour in both kinds (the synthetic camera's clock panel is top left).
 */
export async function pictureColour(picture: Uint8Array): Promise<Rgb> {
  const { data, info } = await sharp(picture).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rows = Math.max(1, Math.floor(info.height / 8));
  const from = Math.floor(info.width / 2);
  const sum = [0, 0, 0];
  for (let y = 0; y < rows; y++)
    for (let x = from; x < info.width; x++)
      for (let c = 0; c < 3; c++) sum[c]! += data[(y * info.width + x) * info.channels + c]!;
  const n = rows * (info.width - from);
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/**
 * Whose picture it is: the key of `cameras` whose colour is nearest, if within 60 of it (JPEG moves
 * a flat colour by a few units); null for a picture of none of them.
 */
export async function whosePicture(
  picture: Uint8Array,
  cameras: Readonly<Record<string, Rgb>>,
): Promise<string | null> {
  return whoseColour(await pictureColour(picture), cameras);
}

/** Like whosePicture, from a picture's top-band mean colour measured elsewhere (e.g. in a browser). */
export function whoseColour(seen: Rgb, cameras: Readonly<Record<string, Rgb>>): string | null {
  let best: string | null = null;
  let bestDistance = 60;
  for (const [key, colour] of Object.entries(cameras)) {
    const distance = Math.hypot(seen[0] - colour[0], seen[1] - colour[1], seen[2] - colour[2]);
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  return best;
}
