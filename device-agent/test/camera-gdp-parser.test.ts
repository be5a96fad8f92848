import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { requireGstreamer } from '@sealcam/testkit/programs';
import {
  capsInt,
  GDP_DELTA_UNIT,
  GDP_HEADER_BYTES,
  type GdpBuffer,
  GdpParser,
} from '../src/camera/gdp-parser.js';
import { GSTREAMER_PACKAGES } from '../src/camera/passthrough-exit.js';

requireGstreamer(['audiotestsrc', 'gdppay', 'fdsink'], GSTREAMER_PACKAGES);

/** Real gdppay output: five buffers of 800 samples of 8 kHz mono audio (100 ms each), with their caps and events. */
function gdpAudio(): Buffer {
  // biome-ignore format: a pipeline reads best on one line
  return execFileSync('gst-launch-1.0', ['-q', 'audiotestsrc', 'num-buffers=5', 'samplesperbuffer=800', '!',
    'audio/x-raw,format=S16LE,rate=8000,channels=1', '!', 'gdppay', '!', 'fdsink', 'fd=1'], { maxBuffer: 1 << 20 });
}

function parse(bytes: Buffer, chunk: number, maxPayload = 1 << 20) {
  const buffers: GdpBuffer[] = [];
  const caps: string[] = [];
  const errors: string[] = [];
  const parser = new GdpParser(
    { onBuffer: (b) => buffers.push(b), onCaps: (c) => caps.push(c), onError: (m) => errors.push(m) },
    maxPayload,
  );
  for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.subarray(at, at + chunk));
  return { buffers, caps, errors };
}

describe('GDP parser (gst-launch output of the GStreamer RTSP client)', () => {
  it('reads every buffer with its time, duration and payload, and the caps, whatever the chunking', () => {
    const bytes = gdpAudio();
    for (const chunk of [1, 7, GDP_HEADER_BYTES, 1000, bytes.length]) {
      const { buffers, caps, errors } = parse(bytes, chunk);
      assert.deepEqual(errors, [], `chunk ${chunk}`);
      assert.equal(buffers.length, 5, `chunk ${chunk}`);
      assert.deepEqual(
        buffers.map((b) => b.ptsNs),
        [0, 1, 2, 3, 4].map((i) => i * 100_000_000),
      );
      for (const buffer of buffers) {
        assert.equal(buffer.payload.length, 1600, '800 samples of 2 bytes');
        assert.equal(buffer.durationNs, 100_000_000);
        assert.equal(buffer.flags & GDP_DELTA_UNIT, 0, 'raw audio: every buffer is a key unit');
      }
      assert.equal(caps.length, 1);
      assert.match(caps[0]!, /^audio\/x-raw, /);
      assert.equal(capsInt(caps[0]!, 'rate'), 8000);
      assert.equal(capsInt(caps[0]!, 'channels'), 1);
      assert.equal(capsInt(caps[0]!, 'width'), undefined);
    }
  });

  it('a buffer without a timestamp has ptsNs null; a delta unit keeps its DELTA_UNIT flag; an event packet is skipped', () => {
    const bytes = Buffer.from(gdpAudio());
    // Walk the packets: the first buffer loses its PTS, the second becomes a delta unit.
    const types: number[] = [];
    let buffersSeen = 0;
    for (let at = 0; at + GDP_HEADER_BYTES <= bytes.length; ) {
      const type = bytes.readUInt16BE(at + 4);
      types.push(type);
      if (type === 1) {
        if (buffersSeen === 0) bytes.writeBigUInt64BE(0xffff_ffff_ffff_ffffn, at + 10);
        if (buffersSeen === 1) bytes.writeUInt16BE(bytes.readUInt16BE(at + 42) | GDP_DELTA_UNIT, at + 42);
        buffersSeen++;
      }
      at += GDP_HEADER_BYTES + bytes.readUInt32BE(at + 6);
    }
    assert.ok(
      types.some((type) => type >= 64),
      `the input holds event packets (types ${types.join(', ')})`,
    );
    const { buffers, errors } = parse(bytes, 333);
    assert.deepEqual(errors, []);
    assert.equal(buffers[0]!.ptsNs, null);
    assert.equal(buffers[1]!.flags & GDP_DELTA_UNIT, GDP_DELTA_UNIT);
    assert.equal(buffers[2]!.flags & GDP_DELTA_UNIT, 0);
    assert.equal(buffers.length, 5, 'events are not handed on as buffers');
  });

  it('stops at a packet of another version or one larger than the bound, with a reason, and parses nothing after it', () => {
    const bytes = gdpAudio();
    const corrupt = Buffer.from(bytes);
    corrupt[0] = 2;
    assert.deepEqual(parse(corrupt, 100).errors, ['GDP: unknown version 2.0 (stream out of step)']);
    assert.equal(parse(corrupt, 100).buffers.length, 0);
    const bounded = parse(bytes, 100, 1000);
    assert.equal(bounded.buffers.length, 0);
    assert.equal(bounded.errors.length, 1);
    assert.match(bounded.errors[0]!, /^GDP: a packet of 1600 bytes exceeds 1000$/);
  });
});
