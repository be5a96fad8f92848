import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import { type AdtsFrame, AdtsSplitter } from '../src/camera/adts.js';
import { avcCodecString, NAL_SPS, nalUnits } from '../src/camera/annexb.js';
import { AudSplitter } from '../src/camera/aud-splitter.js';
import { type FramecrcPacket, FramecrcParser } from '../src/camera/framecrc-parser.js';
import { PacketPairer } from '../src/camera/packet-pairer.js';

describe('passthrough parsers', () => {
  it('framecrc: reads stream headers and packet lines, key flag from the absence of F= or its bit 0', () => {
    const packets: FramecrcPacket[] = [];
    const errors: string[] = [];
    const parser = new FramecrcParser(
      (packet) => packets.push(packet),
      (message) => errors.push(message),
    );
    const text = [
      '#tb 0: 1/90000',
      '#media_type 0: video',
      '#codec_id 0: h264',
      '#dimensions 0: 320x240',
      '#tb 1: 1/8000',
      '#media_type 1: audio',
      '#codec_id 1: aac',
      '#sample_rate 1: 8000',
      '0,      45000,      45000,     9000,     8706, 0xda23abdb',
      '0,      54000,      54000,     9000,      530, 0xe08cd9d7, F=0x0',
      '1,       1024,       1024,     1024,       20, 0x12345678, F=0x1, S=1,       16',
      '0,      63000,      63000,     9000,      730, 0x22f413a0, F=0x0, S=1,       16',
      '',
    ].join('\n');
    // Split mid-line: pipes deliver arbitrary chunks.
    parser.push(text.slice(0, 200));
    parser.push(text.slice(200));
    assert.deepEqual(errors, []);
    assert.deepEqual(parser.streams.get(0), {
      timeBase: { num: 1, den: 90000 },
      mediaType: 'video',
      codec: 'h264',
      width: 320,
      height: 240,
    });
    assert.equal(parser.streams.get(1)?.sampleRate, 8000);
    assert.deepEqual(
      packets.map((p) => [p.stream, p.pts, p.size, p.keyframe]),
      [
        [0, 45000, 8706, true],
        [0, 54000, 530, false],
        [1, 1024, 20, true],
        [0, 63000, 730, false],
      ],
    );
    parser.push('garbage line\n');
    assert.equal(errors.length, 1);
  });

  it('pairs an elementary stream with its packet sizes whatever the chunking, and reports disagreement', () => {
    const fixture = mediaFixture({ width: 160, height: 120, fps: 10, seconds: 2, audio: false });
    const stream = Buffer.concat(fixture.video.map((unit) => unit.data));
    const got: Uint8Array[] = [];
    const errors: string[] = [];
    const pairer = new PacketPairer(
      (_packet, data) => got.push(data),
      (message) => errors.push(message),
      1 << 20,
    );
    let offset = 0;
    fixture.video.forEach((unit, index) => {
      pairer.pushPacket({
        stream: 0,
        dts: index,
        pts: index,
        duration: 1,
        size: unit.data.length,
        keyframe: unit.keyframe,
      });
      const chunk = stream.subarray(offset, offset + 777 + index * 13);
      offset += chunk.length;
      pairer.pushBytes(chunk);
    });
    pairer.pushBytes(stream.subarray(offset));
    assert.equal(errors.length, 0, errors.join('; '));
    assert.deepEqual(
      got.map((data) => Buffer.from(data)),
      fixture.video.map((unit) => Buffer.from(unit.data)),
    );
    const small = new PacketPairer(
      () => {},
      (message) => errors.push(message),
      100,
    );
    small.pushBytes(Buffer.alloc(200));
    assert.equal(errors.length, 1);
  });

  it('AUD splitter: one access unit per delimiter, the last held until the next begins', () => {
    const fixture = mediaFixture({ width: 160, height: 120, fps: 10, seconds: 2, audio: false });
    const stream = Buffer.concat(fixture.video.map((unit) => unit.data));
    const got: Uint8Array[] = [];
    const splitter = new AudSplitter((unit) => got.push(unit), 1 << 20, assert.fail);
    for (let at = 0; at < stream.length; at += 301) splitter.push(stream.subarray(at, at + 301));
    assert.equal(got.length, fixture.video.length - 1);
    assert.deepEqual(
      got.map((unit) => Buffer.from(unit)),
      fixture.video.slice(0, -1).map((unit) => Buffer.from(unit.data)),
    );
  });

  it('codec string from the SPS, as the fixture’s', () => {
    const fixture = mediaFixture({ width: 160, height: 120, fps: 10, seconds: 1, audio: false });
    const sps = nalUnits(fixture.video[0]!.data).find((nal) => nal.type === NAL_SPS)!;
    assert.equal(avcCodecString(sps.data), fixture.codecString);
  });

  it('ADTS splitter: frames by their length field across chunks, sample rate and channels from the header', () => {
    const fixture = mediaFixture({ width: 160, height: 120, fps: 10, seconds: 2, audio: true });
    const stream = Buffer.concat(fixture.audio.map((unit) => unit.data));
    const frames: AdtsFrame[] = [];
    const errors: string[] = [];
    const splitter = new AdtsSplitter(
      (frame) => frames.push(frame),
      (message) => errors.push(message),
    );
    for (let at = 0; at < stream.length; at += 97) splitter.push(stream.subarray(at, at + 97));
    assert.deepEqual(errors, []);
    assert.equal(frames.length, fixture.audio.length);
    assert.deepEqual([frames[0]!.sampleRate, frames[0]!.channels], [48000, 1]);
    splitter.push(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual(errors, ['ADTS: lost frame sync']);
  });
});
