import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { MotionOptionError } from '../src/motion/option-error.js';
import { makeThumbnail } from '../src/motion/thumbnail.js';

/** A JPEG of a colour gradient (so quality makes a difference), made from raw pixels. */
async function jpeg(width: number, height: number, exif = false): Promise<Uint8Array> {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = (x * 255) / width;
      rgb[i + 1] = (y * 255) / height;
      rgb[i + 2] = (x * y) & 0xff;
    }
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (exif) image = image.withExif({ IFD0: { Copyright: 'MARKER-EXIF', Make: 'MARKER-MAKE' } });
  return new Uint8Array(await image.jpeg({ quality: 90 }).toBuffer());
}

async function check(thumbnail: Uint8Array) {
  assert.deepEqual([thumbnail[0], thumbnail[1]], [0xff, 0xd8], 'JPEG SOI');
  assert.deepEqual([thumbnail.at(-2), thumbnail.at(-1)], [0xff, 0xd9], 'JPEG EOI');
  const meta = await sharp(thumbnail, { failOn: 'error' }).metadata();
  assert.equal(meta.format, 'jpeg');
  // A full decode succeeds (the JPEG is valid, not merely well-headed).
  await sharp(thumbnail, { failOn: 'error' }).raw().toBuffer();
  return meta;
}

describe('makeThumbnail', () => {
  it('makes a 320-pixel-wide JPEG of a 1280×720 frame, keeping the aspect ratio', async () => {
    const meta = await check(await makeThumbnail(await jpeg(1280, 720)));
    assert.deepEqual([meta.width, meta.height], [320, 180]);
  });

  it('bounds the width of a portrait frame too', async () => {
    const meta = await check(await makeThumbnail(await jpeg(360, 640)));
    assert.deepEqual([meta.width, meta.height], [320, 569]);
  });

  it('never upscales', async () => {
    const meta = await check(await makeThumbnail(await jpeg(200, 100)));
    assert.deepEqual([meta.width, meta.height], [200, 100]);
  });

  it('honours width and quality', async () => {
    const source = await jpeg(1280, 720);
    const meta = await check(await makeThumbnail(source, { width: 160 }));
    assert.deepEqual([meta.width, meta.height], [160, 90]);
    const low = await makeThumbnail(source, { quality: 20 });
    const high = await makeThumbnail(source, { quality: 95 });
    assert.ok(low.length < high.length, `${low.length} < ${high.length}`);
  });

  it('keeps no metadata from the camera', async () => {
    const source = await jpeg(640, 360, true);
    assert.ok((await sharp(source).metadata()).exif, 'the test source carries EXIF');
    const thumbnail = await makeThumbnail(source);
    const meta = await check(thumbnail);
    assert.equal(meta.exif, undefined);
    assert.ok(!Buffer.from(thumbnail).includes('MARKER'));
  });

  it('rejects a corrupt JPEG and bad options', async () => {
    const source = await jpeg(320, 180);
    await assert.rejects(makeThumbnail(source.subarray(0, source.length / 2)));
    await assert.rejects(makeThumbnail(new Uint8Array([1, 2, 3])));
    for (const options of [{ width: 0 }, { width: 1.5 }, { quality: 0 }, { quality: 101 }]) {
      await assert.rejects(makeThumbnail(source, options), MotionOptionError);
    }
  });
});
