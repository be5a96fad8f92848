import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { jpegSize } from '../src/camera/jpeg-size.js';
import { JpegSplitter, type SplitJpeg } from '../src/camera/jpeg-splitter.js';

function splitter(maxBytes?: number): { images: SplitJpeg[]; errors: Error[]; splitter: JpegSplitter } {
  const images: SplitJpeg[] = [];
  const errors: Error[] = [];
  const instance = new JpegSplitter({
    onImage: (image) => images.push(image),
    onError: (error) => errors.push(error),
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
  return { images, errors, splitter: instance };
}

async function jpeg(width: number, height: number, colour: number, noise = false): Promise<Buffer> {
  if (noise) {
    const raw = Buffer.alloc(width * height * 3);
    let seed = colour + 1;
    for (let i = 0; i < raw.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      raw[i] = seed >>> 24;
    }
    return sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
  }
  return sharp({ create: { width, height, channels: 3, background: { r: colour, g: 255 - colour, b: 60 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** The JPEG with an APP1 segment right after its SOI whose payload holds FF D9 and FF D8. */
function withTrickyAppSegment(image: Buffer): Buffer {
  const payload = Buffer.from([0x74, 0x65, 0x73, 0x74, 0x00, 0xff, 0xd9, 0xff, 0xd8, 0xff, 0xd9, 0x01, 0xff]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, payload.length + 2]), payload]);
  return Buffer.concat([image.subarray(0, 2), segment, image.subarray(2)]);
}

describe('JPEG splitter', () => {
  let images: Buffer[] = [];
  let stream: Buffer;
  let garbage: Buffer;

  before(async () => {
    images = [
      await jpeg(32, 24, 10),
      withTrickyAppSegment(await jpeg(40, 16, 200)),
      await jpeg(16, 48, 90, true),
    ];
    // Between images: bytes with FF, FF D9 and FF 00, but no FF D8.
    garbage = Buffer.from([0x00, 0xff, 0xd9, 0x13, 0xff, 0x00, 0xff, 0xff, 0x42, 0x0d, 0x0a]);
    stream = Buffer.concat([garbage, images[0]!, images[1]!, garbage, images[2]!, garbage]);
  });

  it('emits each image whole, with its size, however the stream is cut into two chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { images: out, errors, splitter: s } = splitter();
      s.push(stream.subarray(0, cut));
      s.push(stream.subarray(cut));
      assert.deepEqual(errors, [], `cut at ${cut}`);
      assert.equal(out.length, 3, `cut at ${cut}`);
      for (let i = 0; i < 3; i++) assert.ok(out[i]!.jpeg.equals(images[i]!), `image ${i}, cut at ${cut}`);
    }
  });

  it('works byte by byte and reports the size from the SOF segment', async () => {
    const { images: out, errors, splitter: s } = splitter();
    for (let i = 0; i < stream.length; i++) s.push(stream.subarray(i, i + 1));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      out.map(({ width, height }) => [width, height]),
      [
        [32, 24],
        [40, 16],
        [16, 48],
      ],
    );
    for (const image of out) {
      assert.deepEqual(jpegSize(image.jpeg), { width: image.width, height: image.height });
      const metadata = await sharp(image.jpeg).metadata();
      assert.deepEqual([metadata.width, metadata.height], [image.width, image.height]);
    }
  });

  it('is not cut short by FF D9 inside an APP segment', async () => {
    const tricky = images[1]!;
    assert.ok(
      tricky.indexOf(Buffer.from([0xff, 0xd9])) < tricky.length - 2,
      'the fixture has an early FF D9',
    );
    const { images: out, errors, splitter: s } = splitter();
    s.push(tricky);
    assert.deepEqual(errors, []);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.jpeg.equals(tricky));
    const decoded = await sharp(out[0]!.jpeg).raw().toBuffer({ resolveWithObject: true });
    assert.equal(decoded.info.width, 40);
  });

  it('skips garbage between images and recovers from a truncated image', () => {
    // Cut inside the scan data (the noise image has plenty), as when a writer dies mid-image.
    const truncated = images[2]!.subarray(0, images[2]!.length - 40);
    const { images: out, errors, splitter: s } = splitter();
    s.push(Buffer.concat([garbage, truncated, images[0]!, garbage, garbage, images[1]!]));
    assert.equal(out.length, 2);
    assert.ok(out[0]!.jpeg.equals(images[0]!));
    assert.ok(out[1]!.jpeg.equals(images[1]!));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /corrupt JPEG/);
  });

  it('drops an image larger than the maximum without holding more than the maximum', async () => {
    const large = await jpeg(200, 200, 7, true);
    const small = images[0]!;
    const maxBytes = 8 * 1024;
    assert.ok(large.length > 4 * maxBytes, `fixture of ${large.length} bytes`);
    const { images: out, errors, splitter: s } = splitter(maxBytes);
    const input = Buffer.concat([small, large, small]);
    let largestCapacity = 0;
    for (let offset = 0; offset < input.length; offset += 700) {
      s.push(input.subarray(offset, offset + 700));
      largestCapacity = Math.max(largestCapacity, s.capacity);
    }
    assert.ok(largestCapacity <= maxBytes, `capacity ${largestCapacity}`);
    assert.equal(out.length, 2);
    assert.ok(out.every((image) => image.jpeg.equals(small)));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /larger than 8192 bytes/);

    // Also when the whole oversize image arrives in one chunk.
    const once = splitter(maxBytes);
    once.splitter.push(input);
    assert.equal(once.images.length, 2);
    assert.equal(once.errors.length, 1);
    assert.ok(once.splitter.capacity <= maxBytes);
  });

  it('forgets a partial image on reset', () => {
    const { images: out, splitter: s } = splitter();
    s.push(images[0]!.subarray(0, 100));
    s.reset();
    s.push(images[2]!);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.jpeg.equals(images[2]!));
  });
});
