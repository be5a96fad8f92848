import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import {
  avcCodecString,
  CODEC_H264,
  CODEC_H265,
  codecStringOf,
  hevcCodecString,
  nalUnits,
  parameterSets,
} from '../web/src/annex-b.js';
import { adtsConfig } from '../web/src/live-audio.js';
import { hevcKeyframe } from './support/hevc.js';

test('avcCodecString of a libx264 keyframe equals the codec string read from its SPS by the fixture', () => {
  const fixture = mediaFixture();
  const first = fixture.video[0];
  assert.ok(first?.keyframe);
  assert.equal(avcCodecString(first.data), fixture.codecString);
  assert.equal(codecStringOf(first.data, CODEC_H264), fixture.codecString);
});

test('nalUnits finds the delimiter, SPS, PPS and IDR of a keyframe and no start code bytes in them', () => {
  const units = nalUnits(mediaFixture().video[0]?.data ?? new Uint8Array(), CODEC_H264);
  const types = units.map((nal) => nal.type);
  assert.equal(types[0], 9, 'access unit delimiter first');
  for (const type of [7, 8, 5]) assert.ok(types.includes(type), `NAL type ${type} present`);
  for (const nal of units) assert.notEqual(nal.bytes[0], 0, 'a NAL unit starts with its header byte');
});

test('parameterSets: the same bytes at every keyframe of one encoder, none in a delta unit', () => {
  const { video } = mediaFixture();
  const keyframes = video.filter((unit) => unit.keyframe);
  assert.ok(keyframes.length >= 2, 'the fixture has several keyframes');
  const sets = keyframes.map((unit) => parameterSets(unit.data, CODEC_H264));
  assert.ok((sets[0]?.length ?? 0) > 8);
  for (const other of sets.slice(1)) assert.deepEqual(other, sets[0]);
  const delta = video.find((unit) => !unit.keyframe);
  assert.equal(parameterSets(delta?.data ?? new Uint8Array(), CODEC_H264).length, 0);
  const bigger = mediaFixture({ width: 640, height: 480, seconds: 1, audio: false }).video[0];
  assert.notDeepEqual(parameterSets(bigger?.data ?? new Uint8Array(), CODEC_H264), sets[0]);
});

test('hevcCodecString of a libx265 Main keyframe is hvc1.1.6.L<level>.<constraints>', () => {
  const keyframe = hevcKeyframe();
  const codec = hevcCodecString(keyframe);
  assert.match(codec ?? '', /^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})*$/);
  assert.equal(codecStringOf(keyframe, CODEC_H265), codec);
  assert.equal(avcCodecString(keyframe), null, 'an H.265 unit has no H.264 SPS');
});

test('adtsConfig reads 48 kHz mono from the fixture AAC frames and refuses bytes that are not ADTS', () => {
  const frame = mediaFixture().audio[0];
  assert.deepEqual(adtsConfig(frame?.data ?? new Uint8Array()), { sampleRate: 48000, numberOfChannels: 1 });
  assert.equal(adtsConfig(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7])), null);
});
