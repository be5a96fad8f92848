import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { JpegFrame } from '../src/camera/frame.js';
import { lumaOf } from '../src/motion/luma.js';

/** A 1280×720 JPEG: left half black, right half white. */
async function halves(): Promise<Uint8Array> {
  const rgb = new Uint8Array(1280 * 720 * 3);
  for (let y = 0; y < 720; y++) rgb.fill(255, (y * 1280 + 640) * 3, (y * 1280 + 1280) * 3);
  return new Uint8Array(
    await sharp(rgb, { raw: { width: 1280, height: 720, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}

const frameOf = (jpeg: Uint8Array, luma?: JpegFrame['luma']): JpegFrame => ({
  cameraId: 'cam-1',
  capturedAt: 0,
  jpeg,
  width: 1280,
  height: 720,
  ...(luma ? { luma } : {}),
});

describe('lumaOf', () => {
  it('decodes a JPEG to a 64×36 greyscale image', async () => {
    const luma = await lumaOf(frameOf(await halves()));
    assert.equal(luma.width, 64);
    assert.equal(luma.height, 36);
    assert.equal(luma.data.length, 64 * 36);
    for (let y = 0; y < 36; y++) {
      assert.ok(luma.data[y * 64 + 5]! < 10, 'left is black');
      assert.ok(luma.data[y * 64 + 58]! > 245, 'right is white');
    }
  });

  it('decodes to another configured size', async () => {
    const luma = await lumaOf(frameOf(await halves()), { width: 32, height: 24 });
    assert.deepEqual([luma.width, luma.height, luma.data.length], [32, 24, 32 * 24]);
  });

  it("uses the source's luma when it has the detector's size, and decodes otherwise", async () => {
    const jpeg = await halves();
    const own = { width: 64, height: 36, data: new Uint8Array(64 * 36).fill(7) };
    assert.equal(await lumaOf(frameOf(jpeg, own)), own);
    const other = { width: 32, height: 18, data: new Uint8Array(32 * 18).fill(7) };
    const decoded = await lumaOf(frameOf(jpeg, other));
    assert.equal(decoded.width, 64);
    assert.ok(decoded.data[63]! > 245);
  });

  it('decodes a JPEG that is a view into a larger buffer', async () => {
    const jpeg = await halves();
    const larger = new Uint8Array(jpeg.length + 200).fill(0x55);
    larger.set(jpeg, 100);
    const view = larger.subarray(100, 100 + jpeg.length);
    assert.deepEqual(await lumaOf(frameOf(view)), await lumaOf(frameOf(jpeg)));
  });

  it('rejects a corrupt JPEG', async () => {
    const jpeg = await halves();
    await assert.rejects(lumaOf(frameOf(jpeg.subarray(0, 1000))));
    await assert.rejects(lumaOf(frameOf(new Uint8Array([0xff, 0xd8, 0xff]))));
  });
});
