/**
 * Vectors of the keyless codecs (docs/PROTOCOL.md §15): size padding, live messages, clip
 * containers, event records and sharing codes. Each accept case lists its inputs and exact bytes;
 * each reject case names the check (vectors.test.ts `runCheck`) and the expected error code.
 */

import { fromHex, toBase32, toHex, utf8 } from '../src/bytes.js';
import { encodeClipChunk } from '../src/clip-container.js';
import { Codec } from '../src/constants.js';
import { type EventRecord, encodeEventRecord } from '../src/event-record.js';
import type { IdentityCard } from '../src/identity.js';
import { encodeMediaPayload } from '../src/media-payload.js';
import { type Padding, pad, paddedLength } from '../src/padding.js';
import { encodeLiveMessage, WireType } from '../src/relay-wire.js';
import { inviteCode, VIEWER_CODE_PREFIX, viewerCode } from '../src/share-codes.js';
import { hexPatch } from './vector-hex.js';
import type { RejectCase } from './vectors.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function hexOfText(text: string): string {
  return toHex(utf8(text));
}

function u32Hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function u64Hex(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

export function paddingVectors(): { [key: string]: Json } {
  const schemes: Padding[] = ['none', 'block64', 'padme'];
  const lengths = [0, 1, 2, 3, 62, 63, 64, 100, 1000, 10_001, 65_535, 2 * 1024 * 1024, 8 * 1024 * 1024];
  return {
    description:
      'Size padding (§7.4): padded lengths per scheme, padded bytes of short inputs, and unpad rejects. paddedLength(n) is the length of x ‖ 0x80 ‖ 0x00… for an input of n bytes.',
    paddedLength: lengths.map((length) => ({
      length,
      ...Object.fromEntries(schemes.map((scheme) => [scheme, paddedLength(length, scheme)])),
    })),
    padded: [
      { scheme: 'none', input: '', output: toHex(pad(new Uint8Array(0), 'none')) },
      { scheme: 'none', input: '0000', output: toHex(pad(new Uint8Array(2), 'none')) },
      { scheme: 'block64', input: '01020380', output: toHex(pad(fromHex('01020380'), 'block64')) },
      { scheme: 'padme', input: '11'.repeat(20), output: toHex(pad(fromHex('11'.repeat(20)), 'padme')) },
    ],
    reject: [
      { name: 'empty input', check: 'unpad', bytes: '', expect: 'MALFORMED' },
      { name: 'only zero bytes', check: 'unpad', bytes: '0000', expect: 'MALFORMED' },
      { name: 'last non-zero byte is not 0x80', check: 'unpad', bytes: '41420100', expect: 'MALFORMED' },
      {
        name: 'record padding one block longer than block64 gives',
        check: 'unpad:block64',
        bytes: `41${'80'}${'00'.repeat(126)}`,
        expect: 'MALFORMED',
      },
      {
        name: 'record padding not a multiple of 64',
        check: 'unpad:block64',
        bytes: `4180${'00'.repeat(10)}`,
        expect: 'MALFORMED',
      },
    ] satisfies RejectCase[],
  };
}

export function liveVectors(input: { deviceId: Uint8Array; frame: Uint8Array; manifest: Uint8Array }): {
  [key: string]: Json;
} {
  const liveFrame = toHex(
    encodeLiveMessage({
      type: WireType.LiveFrame,
      deviceId: input.deviceId,
      streamId: 'cam-1',
      payload: input.frame,
    }),
  );
  const liveManifest = toHex(
    encodeLiveMessage({
      type: WireType.LiveManifest,
      deviceId: input.deviceId,
      streamId: 'cam-1',
      payload: input.manifest,
    }),
  );
  const head = liveFrame.slice(0, (18 + 5) * 2);
  return {
    description:
      'Live messages on the relay WebSocket (§6.6): frame 0 of frame.json and manifest epoch 1 of manifest.json, device = the device party, stream cam-1.',
    deviceId: toHex(input.deviceId),
    streamId: 'cam-1',
    messages: [
      { type: WireType.LiveFrame, payload: toHex(input.frame), bytes: liveFrame },
      { type: WireType.LiveManifest, payload: toHex(input.manifest), bytes: liveManifest },
    ],
    reject: [
      { name: 'empty message', check: 'live', bytes: '', expect: 'TRUNCATED' },
      { name: 'unknown type 0x04', check: 'live', bytes: hexPatch(liveFrame, 0, 4), expect: 'MALFORMED' },
      { name: 'type 0x00', check: 'live', bytes: hexPatch(liveFrame, 0, 0), expect: 'MALFORMED' },
      { name: 'device id cut short', check: 'live', bytes: liveFrame.slice(0, 2 * 10), expect: 'TRUNCATED' },
      { name: 'no stream id length', check: 'live', bytes: liveFrame.slice(0, 2 * 17), expect: 'TRUNCATED' },
      {
        name: 'stream id longer than the rest',
        check: 'live',
        bytes: hexPatch(liveFrame, 17, 0xff).slice(0, 2 * 40),
        expect: 'TRUNCATED',
      },
      {
        name: 'empty stream id',
        check: 'live',
        bytes: `${hexPatch(liveFrame, 17, 0).slice(0, 36)}01`,
        expect: 'MALFORMED',
      },
      {
        name: 'stream id with a "/"',
        check: 'live',
        bytes: hexPatch(liveFrame, 18 + 3, 0x2f),
        expect: 'MALFORMED',
      },
      {
        name: 'stream id of 65 characters',
        check: 'live',
        bytes: `${liveFrame.slice(0, 34)}41${'61'.repeat(65)}01`,
        expect: 'MALFORMED',
      },
      { name: 'no payload', check: 'live', bytes: head, expect: 'TRUNCATED' },
    ] satisfies RejectCase[],
  };
}

const T0 = 1_767_225_600_000;

export function clipContainerVectors(): { [key: string]: Json } {
  const frames = [
    { capturedAt: T0, image: fromHex('ffd8ffe000104a4649460001ffd9') },
    { capturedAt: T0, image: fromHex('ffd9') },
    { capturedAt: T0 + 250, image: fromHex('ffd8ffdb0043ffd9') },
  ];
  const chunk = toHex(encodeClipChunk(frames));
  const one = (time: bigint, length: number, image: string) => `${u64Hex(time)}${u32Hex(length)}${image}`;
  const header = (count: number) => `53434d4a01${u32Hex(count)}`;
  return {
    description:
      'Clip containers (§7.13): the plaintext of a clip chunk. Times are Unix ms; images are opaque bytes (short stand-ins for JPEGs).',
    chunks: [
      {
        frames: frames.map((frame) => ({ capturedAt: frame.capturedAt, image: toHex(frame.image) })),
        bytes: chunk,
      },
    ],
    reject: [
      { name: 'magic cut short', check: 'clip-container', bytes: '53434d', expect: 'TRUNCATED' },
      { name: 'other magic', check: 'clip-container', bytes: hexPatch(chunk, 3, 0x4b), expect: 'MALFORMED' },
      {
        name: 'version 2',
        check: 'clip-container',
        bytes: hexPatch(chunk, 4, 2),
        expect: 'UNSUPPORTED_VERSION',
      },
      { name: 'no frames', check: 'clip-container', bytes: header(0), expect: 'MALFORMED' },
      {
        name: 'count above 645 276',
        check: 'clip-container',
        bytes: header(645_277) + one(BigInt(T0), 1, '00'),
        expect: 'MALFORMED',
      },
      {
        name: 'count larger than the frames present',
        check: 'clip-container',
        bytes: header(2) + one(BigInt(T0), 1, '00'),
        expect: 'TRUNCATED',
      },
      {
        name: 'time above 2^53-1',
        check: 'clip-container',
        bytes: header(1) + one(2n ** 53n, 1, '00'),
        expect: 'MALFORMED',
      },
      {
        name: 'times decrease',
        check: 'clip-container',
        bytes: header(2) + one(BigInt(T0), 1, '00') + one(BigInt(T0 - 1), 1, '00'),
        expect: 'MALFORMED',
      },
      {
        name: 'empty image',
        check: 'clip-container',
        bytes: header(1) + one(BigInt(T0), 0, ''),
        expect: 'MALFORMED',
      },
      {
        name: 'image length above 8 388 587',
        check: 'clip-container',
        bytes: header(1) + one(BigInt(T0), 8_388_588, '00'),
        expect: 'MALFORMED',
      },
      {
        name: 'image cut short',
        check: 'clip-container',
        bytes: header(1) + one(BigInt(T0), 4, '0000'),
        expect: 'TRUNCATED',
      },
      { name: 'trailing byte', check: 'clip-container', bytes: `${chunk}00`, expect: 'MALFORMED' },
    ] satisfies RejectCase[],
  };
}

/**
 * Media payloads of timed codecs (§6.7) and the framing check of MP4 clip chunks (§7.14). The units
 * are short stand-ins (an access unit delimiter + an IDR slice header; an ADTS header).
 */
export function mediaVectors(): { [key: string]: Json } {
  const T = 1_767_225_600_123_456;
  const units = [
    { codec: Codec.H264AnnexB, capturedAtUs: T, unit: '0000000109f00000000165888480' },
    { codec: Codec.AacAdts, capturedAtUs: T + 21_333, unit: 'fff15080021ffc2100' },
  ];
  const box = (type: string, body: string) => `${u32Hex(4 + 4 + body.length / 2)}${hexOfText(type)}${body}`;
  const ftyp = box('ftyp', `${hexOfText('isom')}00000200${hexOfText('isomiso6')}`);
  const moof = box('moof', '00'.repeat(8));
  const mdat = box('mdat', 'ab'.repeat(4));
  return {
    description:
      'Media payloads (§6.7): capturedAtUs u64 (Unix µs) ‖ unit, for codecs 2 (H.264 access unit, Annex B) and 5 (AAC, one ADTS frame); and MP4 clip chunk framing (§7.14): accepted chunks list their top-level box types.',
    payloads: units.map((entry) => ({
      ...entry,
      bytes: toHex(encodeMediaPayload({ capturedAtUs: entry.capturedAtUs, unit: fromHex(entry.unit) })),
    })),
    mp4Chunks: [
      { first: true, bytes: ftyp + moof + mdat, boxes: ['ftyp', 'moof', 'mdat'] },
      { first: false, bytes: moof + mdat, boxes: ['moof', 'mdat'] },
      {
        first: false,
        bytes: `00000001${hexOfText('mdat')}${u64Hex(20n)}ab`.padEnd(40, 'a'),
        boxes: ['mdat'],
      },
    ],
    reject: [
      { name: 'payload without a unit', check: 'media', bytes: u64Hex(BigInt(T)), expect: 'TRUNCATED' },
      { name: 'payload time cut short', check: 'media', bytes: '00000000', expect: 'TRUNCATED' },
      {
        name: 'payload time above 2^53-1',
        check: 'media',
        bytes: `${u64Hex(2n ** 53n)}00`,
        expect: 'MALFORMED',
      },
      { name: 'empty MP4 chunk', check: 'mp4-chunk', bytes: '', expect: 'TRUNCATED' },
      {
        name: 'first MP4 chunk not starting with ftyp',
        check: 'mp4-chunk:first',
        bytes: moof,
        expect: 'MALFORMED',
      },
      {
        name: 'MP4 box header cut short',
        check: 'mp4-chunk',
        bytes: moof + mdat.slice(0, 10),
        expect: 'TRUNCATED',
      },
      {
        name: 'MP4 box running past the chunk',
        check: 'mp4-chunk',
        bytes: moof.slice(0, -2),
        expect: 'TRUNCATED',
      },
      {
        name: 'MP4 box of size 0',
        check: 'mp4-chunk',
        bytes: `00000000${hexOfText('mdat')}`,
        expect: 'MALFORMED',
      },
      {
        name: 'MP4 box smaller than its header',
        check: 'mp4-chunk',
        bytes: `00000007${hexOfText('mdat')}`,
        expect: 'MALFORMED',
      },
      {
        name: 'MP4 box type not printable',
        check: 'mp4-chunk',
        bytes: `0000000800000000`,
        expect: 'MALFORMED',
      },
      {
        name: 'MP4 large size cut short',
        check: 'mp4-chunk',
        bytes: `00000001${hexOfText('mdat')}0000`,
        expect: 'TRUNCATED',
      },
    ] satisfies RejectCase[],
  };
}

/** The event record of event.json (as opened) plus two more shapes, with their exact bytes. */
export function recordVectors(eventRecord: EventRecord): { [key: string]: Json } {
  const bare: EventRecord = {
    v: 1,
    kind: 'doorbell',
    streamId: 'front.door_2',
    start: 0,
    end: 0,
    score: 0,
    labels: [],
    thumbnail: null,
    clip: null,
  };
  const full: EventRecord = {
    v: 1,
    kind: 'motion "zone 1"',
    streamId: 'cam-1',
    start: 2 ** 53 - 2,
    end: 2 ** 53 - 1,
    score: 1,
    labels: ['person', '~ ! \\'],
    thumbnail: { type: 'image/jpeg', bytes: 0, hash: 'ab'.repeat(32) },
    clip: {
      codec: Codec.H265AnnexB,
      type: 'video/h265',
      bytes: 4_294_967_296,
      frames: 0,
      chunkHashes: ['01'.repeat(32), 'fe'.repeat(32)],
    },
  };
  const cases = [
    { name: 'event.json record', record: eventRecord },
    { name: 'no labels, thumbnail or clip; zero times and score', record: bare },
    { name: 'extremes: largest times, score 1, codec 3, clip over 4 GiB', record: full },
  ].map(({ name, record }) => {
    const bytes = encodeEventRecord(record);
    return {
      name,
      record: record as unknown as Json,
      bytes: toHex(bytes),
      paddedBlock64: toHex(pad(bytes, 'block64')),
    };
  });
  const b = cases[1]!.bytes; // 0104 08 "doorbell" 0c "front.door_2" start end score 00 00 00
  const afterStream = 2 + 1 + 8 + 1 + 12; // offset of start in `bare`
  const scoreAt = afterStream + 16;
  const withScore = (bits: string) => b.slice(0, scoreAt * 2) + bits + b.slice((scoreAt + 8) * 2);
  const tail = (scoreAt + 8) * 2; // hex offset of the label count
  const beforeTail = b.slice(0, tail);
  const hash = 'ab'.repeat(32);
  const text = (t: string) => t.length.toString(16).padStart(2, '0') + hexOfText(t);
  return {
    description:
      'Event records (§7.7), the plaintext sealed inside an event envelope before block64 padding. The first is the record of event.json; `record` gives the fields as the reference API returns them (hashes in hex).',
    records: cases,
    reject: [
      { name: 'version 2', check: 'record', bytes: hexPatch(b, 0, 2), expect: 'UNSUPPORTED_VERSION' },
      { name: 'kind byte 0x05', check: 'record', bytes: hexPatch(b, 1, 5), expect: 'WRONG_KIND' },
      { name: 'cut inside the kind text', check: 'record', bytes: b.slice(0, 2 * 6), expect: 'TRUNCATED' },
      { name: 'empty kind text', check: 'record', bytes: `010400${b.slice(2 * 11)}`, expect: 'MALFORMED' },
      {
        name: 'kind text with a control character',
        check: 'record',
        bytes: hexPatch(b, 4, 0x0a),
        expect: 'MALFORMED',
      },
      {
        name: 'kind text with a non-ASCII byte',
        check: 'record',
        bytes: hexPatch(b, 4, 0xc3),
        expect: 'MALFORMED',
      },
      {
        name: 'kind text of 65 characters',
        check: 'record',
        bytes: `010441${'61'.repeat(65)}${b.slice(2 * 11)}`,
        expect: 'MALFORMED',
      },
      {
        name: 'stream id with a space',
        check: 'record',
        bytes: hexPatch(b, 2 + 9 + 1 + 5, 0x20),
        expect: 'MALFORMED',
      },
      {
        name: 'start above 2^53-1',
        check: 'record',
        bytes: b.slice(0, afterStream * 2) + u64Hex(2n ** 53n) + u64Hex(2n ** 53n) + b.slice(scoreAt * 2),
        expect: 'MALFORMED',
      },
      {
        name: 'end before start',
        check: 'record',
        bytes: b.slice(0, afterStream * 2) + u64Hex(2n) + u64Hex(1n) + b.slice(scoreAt * 2),
        expect: 'MALFORMED',
      },
      {
        name: 'score negative zero',
        check: 'record',
        bytes: withScore('8000000000000000'),
        expect: 'MALFORMED',
      },
      {
        name: 'score just above 1',
        check: 'record',
        bytes: withScore('3ff0000000000001'),
        expect: 'MALFORMED',
      },
      { name: 'score NaN', check: 'record', bytes: withScore('7ff8000000000000'), expect: 'MALFORMED' },
      { name: 'score -0.5', check: 'record', bytes: withScore('bfe0000000000000'), expect: 'MALFORMED' },
      {
        name: '33 labels',
        check: 'record',
        bytes: `${beforeTail}21${text('a').repeat(33)}0000`,
        expect: 'MALFORMED',
      },
      { name: 'empty label', check: 'record', bytes: `${beforeTail}01000000`, expect: 'MALFORMED' },
      { name: 'thumbnail tag 0x02', check: 'record', bytes: `${beforeTail}000200`, expect: 'MALFORMED' },
      { name: 'clip tag 0xff', check: 'record', bytes: `${beforeTail}0000ff`, expect: 'MALFORMED' },
      {
        name: 'thumbnail size above 2^53-1',
        check: 'record',
        bytes: `${beforeTail}0001${text('image/jpeg')}${u64Hex(2n ** 53n)}${hash}00`,
        expect: 'MALFORMED',
      },
      {
        name: 'thumbnail hash cut short',
        check: 'record',
        bytes: `${beforeTail}0001${text('image/jpeg')}${u64Hex(1n)}${'ab'.repeat(31)}`,
        expect: 'TRUNCATED',
      },
      {
        name: 'clip codec 0',
        check: 'record',
        bytes: `${beforeTail}000001${'00'}${text('x')}${u64Hex(1n)}${u64Hex(1n)}0001${hash}`,
        expect: 'MALFORMED',
      },
      {
        name: 'clip codec 16',
        check: 'record',
        bytes: `${beforeTail}000001${'10'}${text('x')}${u64Hex(1n)}${u64Hex(1n)}0001${hash}`,
        expect: 'MALFORMED',
      },
      {
        name: 'clip without chunks',
        check: 'record',
        bytes: `${beforeTail}000001${'01'}${text('x')}${u64Hex(1n)}${u64Hex(1n)}0000`,
        expect: 'MALFORMED',
      },
      {
        name: 'clip of 513 chunks',
        check: 'record',
        bytes: `${beforeTail}000001${'01'}${text('x')}${u64Hex(1n)}${u64Hex(1n)}0201${hash.repeat(513)}`,
        expect: 'MALFORMED',
      },
      { name: 'trailing byte', check: 'record', bytes: `${b}00`, expect: 'MALFORMED' },
      { name: 'clip tag missing', check: 'record', bytes: b.slice(0, -2), expect: 'TRUNCATED' },
    ] satisfies RejectCase[],
  };
}

export function shareCodeVectors(input: {
  owner: IdentityCard;
  friend: IdentityCard;
  deviceId: Uint8Array;
}): { [key: string]: Json } {
  const friendCode = viewerCode(input.friend);
  const relayUrl = 'https://relay.example/sealcam';
  const invite = inviteCode({ deviceId: input.deviceId, relayUrl });
  const flipped = input.friend.bytes.slice();
  flipped[40] = flipped[40]! ^ 0x01;
  const inviteOf = (bytes: Uint8Array) => `SCI1-${base32Upper(bytes)}`;
  return {
    description:
      'Sharing codes (§8.4): the viewer code of friend (card of identity.json) and an invite code for the device at relay https://relay.example/sealcam. Checks take the UTF-8 text in `bytes`.',
    viewerCodes: [
      { party: 'owner', code: viewerCode(input.owner) },
      { party: 'friend', code: friendCode },
    ],
    viewerCodeAccepted: [
      {
        name: 'lower case with spaces and a line break',
        text: spaced(friendCode.toLowerCase()),
        party: 'friend',
      },
    ],
    invites: [
      {
        deviceId: toHex(input.deviceId),
        relayUrl,
        payload: toHex(new Uint8Array([...input.deviceId, ...utf8(relayUrl)])),
        code: invite,
      },
    ],
    reject: [
      {
        name: 'viewer code with the pairing prefix',
        check: 'viewer-code',
        bytes: hexOfText(`SCP1-${friendCode.slice(5)}`),
        expect: 'MALFORMED',
      },
      {
        name: 'viewer code with a base32 "1"',
        check: 'viewer-code',
        bytes: hexOfText(`${friendCode.slice(0, 10)}1${friendCode.slice(11)}`),
        expect: 'MALFORMED',
      },
      {
        name: 'viewer code with "=" padding',
        check: 'viewer-code',
        bytes: hexOfText(`${friendCode}=`),
        expect: 'MALFORMED',
      },
      {
        name: 'viewer code of a card with a changed key bit',
        check: 'viewer-code',
        bytes: hexOfText(VIEWER_CODE_PREFIX + base32Upper(flipped)),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'viewer code of a card cut short',
        check: 'viewer-code',
        bytes: hexOfText(VIEWER_CODE_PREFIX + base32Upper(input.friend.bytes.subarray(0, 130))),
        expect: 'TRUNCATED',
      },
      {
        name: 'invite with the viewer prefix',
        check: 'invite-code',
        bytes: hexOfText(`SCV1-${invite.slice(5)}`),
        expect: 'MALFORMED',
      },
      {
        name: 'invite of a device id only',
        check: 'invite-code',
        bytes: hexOfText(inviteOf(input.deviceId)),
        expect: 'TRUNCATED',
      },
      {
        name: 'invite with a URL ending in "/"',
        check: 'invite-code',
        bytes: hexOfText(inviteOf(new Uint8Array([...input.deviceId, ...utf8(`${relayUrl}/`)]))),
        expect: 'MALFORMED',
      },
      {
        name: 'invite with an ftp URL',
        check: 'invite-code',
        bytes: hexOfText(inviteOf(new Uint8Array([...input.deviceId, ...utf8('ftp://relay.example')]))),
        expect: 'MALFORMED',
      },
      {
        name: 'invite with a URL that is not UTF-8',
        check: 'invite-code',
        bytes: hexOfText(inviteOf(new Uint8Array([...input.deviceId, 0x68, 0xff]))),
        expect: 'MALFORMED',
      },
    ] satisfies RejectCase[],
  };
}

function base32Upper(bytes: Uint8Array): string {
  return toBase32(bytes).toUpperCase();
}

function spaced(code: string): string {
  return `  ${code.slice(0, 20)} ${code.slice(20, 60)}\n${code.slice(60)} `;
}
