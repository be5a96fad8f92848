import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CONTROL_OPS,
  createIdentity,
  decodeDeviceControl,
  decodeRelayToDevice,
  decodeRelayToViewer,
  decodeViewerControl,
  deviceIdOf,
  encodeControl,
  eventIdOf,
  formatCloseReason,
  formatId,
  isDeviceId,
  isStreamId,
  parseCloseReason,
  parseDeviceId,
  parseErrorBody,
  parseStreamId,
  RELAY_REASON_LIST,
  RELAY_REASONS,
  RelayClose,
  Role,
  viewerIdOf,
} from '../src/index.js';
import { throwsCode } from './fixtures.js';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const DEVICE = formatId(createIdentity(Role.Device).card.id);
const VIEWER = formatId(createIdentity(Role.Viewer).card.id);

describe('relay contract: ids', () => {
  it('accepts the text of a real id and stream ids of 1..64 letters, digits, ".", "_" and "-"', () => {
    assert.equal(parseDeviceId(DEVICE), DEVICE);
    assert.equal(parseStreamId('front-door_1.main'), 'front-door_1.main');
    assert.ok(isStreamId('x'.repeat(64)));
  });

  it('deviceIdOf / viewerIdOf / eventIdOf give the formatted text of 16 bytes, and refuse other lengths', () => {
    const identity = createIdentity(Role.Device);
    assert.equal(deviceIdOf(identity.card.id), formatId(identity.card.id));
    assert.ok(isDeviceId(viewerIdOf(new Uint8Array(16).fill(0xff))));
    assert.equal(eventIdOf(new Uint8Array(16)), 'a'.repeat(26));
    throwsCode(() => deviceIdOf(new Uint8Array(15)), 'MALFORMED');
    throwsCode(() => eventIdOf(new Uint8Array(17)), 'MALFORMED');
  });

  it('refuses every other text with MALFORMED', () => {
    for (const bad of [
      DEVICE.toUpperCase(),
      `${DEVICE}a`,
      DEVICE.slice(1),
      `${DEVICE.slice(0, 25)}1`,
      '',
      7,
      null,
    ])
      throwsCode(() => parseDeviceId(bad), 'MALFORMED');
    for (const bad of ['', 'x'.repeat(65), 'a/b', 'a b', 'é', '..%2f', 3])
      throwsCode(() => parseStreamId(bad), 'MALFORMED');
    assert.equal(isDeviceId('a'.repeat(25)), false);
  });
});

describe('relay contract: control messages', () => {
  const viewerMessages = [
    { op: 'ping' },
    { op: 'subscribe', deviceId: DEVICE, streamId: 'cam1' },
    { op: 'unsubscribe', deviceId: DEVICE, streamId: 'cam1' },
    { op: 'watch', deviceId: DEVICE },
    { op: 'unwatch', deviceId: DEVICE },
    { op: 'clock', deviceId: DEVICE, streamId: 'cam1', nonce: '00112233445566778899aabbccddeeff' },
    { op: 'renew', token: 'eyJhIjoxfQ.c2lnbmF0dXJl_-' },
  ];
  const relayMessages = [
    { op: 'hello', id: VIEWER, role: 'viewer' },
    { op: 'pong' },
    { op: 'subscribed', deviceId: DEVICE, streamId: 'cam1', manifest: true, keyframe: false },
    { op: 'watching', deviceId: DEVICE },
    { op: 'event', deviceId: DEVICE, eventId: VIEWER, streamId: 'cam1', time: 1_700_000_000_000 },
    { op: 'renewed', expiresAt: 1_700_000_900_000 },
    { op: 'reconnect', seconds: 20 },
    { op: 'error', reason: 'no-grant' },
    {
      op: 'error',
      reason: 'store-unavailable',
      deviceId: DEVICE,
      streamId: 'cam1',
      retryAfter: 2,
      message: 'x',
    },
  ];
  const deviceMessages = [
    { op: 'keyframe', streamId: 'cam1' },
    { op: 'mailbox', box: 'inbox' },
    { op: 'mailbox', box: 'pairing' },
    { op: 'demand', seconds: 30 },
    { op: 'demand', streamId: 'cam1', seconds: 600 },
    { op: 'clock', streamId: 'cam1', nonce: 'ffeeddccbbaa99887766554433221100' },
    { op: 'renewed', expiresAt: 1_700_000_900_000 },
    { op: 'reconnect', seconds: 600 },
  ];
  const fromDeviceMessages = [{ op: 'renew', token: 'eyJhIjoxfQ.c2lnbmF0dXJl_-' }];

  it('every message of each direction round-trips through its one decoder, as text and as bytes', () => {
    const cases: Array<[object[], (text: string | Uint8Array) => object]> = [
      [viewerMessages, decodeViewerControl],
      [relayMessages, decodeRelayToViewer],
      [deviceMessages, decodeRelayToDevice],
      [fromDeviceMessages, decodeDeviceControl],
    ];
    for (const [messages, decode] of cases) {
      for (const message of messages) {
        const text = encodeControl(message as never);
        assert.deepEqual(decode(text), message);
        assert.deepEqual(decode(new TextEncoder().encode(text)), message);
      }
    }
    assert.deepEqual(
      new Set(viewerMessages.map((m) => m.op)),
      new Set(CONTROL_OPS.viewerToRelay),
      'every viewer op is exercised',
    );
    assert.deepEqual(new Set(relayMessages.map((m) => m.op)), new Set(CONTROL_OPS.relayToViewer));
    assert.deepEqual(new Set(deviceMessages.map((m) => m.op)), new Set(CONTROL_OPS.relayToDevice));
    assert.deepEqual(new Set(fromDeviceMessages.map((m) => m.op)), new Set(CONTROL_OPS.deviceToRelay));
  });

  it('refuses malformed messages with MALFORMED: not JSON, not an object, unknown op or field, bad ids, too long', () => {
    const bad: string[] = [
      'not json',
      '[]',
      'null',
      '"ping"',
      '{}',
      '{"op":"shutdown"}',
      '{"op":"__proto__"}',
      '{"op":"toString"}',
      `{"op":"ping","extra":1}`,
      `{"op":"subscribe","deviceId":"${DEVICE}"}`,
      `{"op":"subscribe","deviceId":"${DEVICE}","streamId":"a/b"}`,
      `{"op":"watch","deviceId":"${DEVICE.toUpperCase()}"}`,
      `{"op":"watch","deviceId":"${DEVICE}","streamId":"cam1"}`,
      `{"op":"ping","pad":"${'x'.repeat(5000)}"}`,
      `{"op":"clock","deviceId":"${DEVICE}","streamId":"cam1","nonce":"00112233445566778899AABBCCDDEEFF"}`,
      `{"op":"clock","deviceId":"${DEVICE}","streamId":"cam1","nonce":"0011"}`,
      `{"op":"clock","deviceId":"${DEVICE}","streamId":"cam1"}`,
    ];
    for (const text of bad) throwsCode(() => decodeViewerControl(text), 'MALFORMED');
    throwsCode(() => decodeViewerControl(new Uint8Array([0x7b, 0xff, 0x7d])), 'MALFORMED');
    throwsCode(() => decodeRelayToViewer('{"op":"error","reason":"because"}'), 'MALFORMED');
    for (const seconds of ['0', '601', '1.5', '"30"'])
      throwsCode(
        () => decodeRelayToDevice(`{"op":"demand","streamId":"cam1","seconds":${seconds}}`),
        'MALFORMED',
      );
    throwsCode(() => decodeRelayToViewer('{"op":"error","reason":"no-grant","retryAfter":-1}'), 'MALFORMED');
    throwsCode(() => decodeRelayToViewer(`{"op":"hello","id":"${VIEWER}","role":"device"}`), 'MALFORMED');
    throwsCode(() => decodeRelayToViewer('{"op":"subscribe","deviceId":"x","streamId":"y"}'), 'MALFORMED');
    throwsCode(() => decodeRelayToDevice('{"op":"mailbox","box":"outbox"}'), 'MALFORMED');
    throwsCode(() => decodeRelayToDevice('{"op":"keyframe","streamId":"cam1","now":true}'), 'MALFORMED');
    for (const token of ['""', '"a b"', '"a<b"', `"${'a'.repeat(2049)}"`, '7', 'null'])
      for (const decode of [decodeDeviceControl, decodeViewerControl])
        throwsCode(() => decode(`{"op":"renew","token":${token}}`), 'MALFORMED');
    throwsCode(() => decodeDeviceControl('{"op":"ping"}'), 'MALFORMED');
    throwsCode(() => decodeRelayToDevice('{"op":"renewed","expiresAt":-1}'), 'MALFORMED');
    for (const seconds of ['0', '601', '2.5', '"20"'])
      for (const decode of [decodeRelayToDevice, decodeRelayToViewer])
        throwsCode(() => decode(`{"op":"reconnect","seconds":${seconds}}`), 'MALFORMED');
  });
});

describe('relay contract: reasons', () => {
  it('every reason is carried somewhere (HTTP, close frame or control error) and fits a close frame', () => {
    for (const reason of RELAY_REASON_LIST) {
      const spec: { http?: readonly number[]; close?: number; control?: true } = RELAY_REASONS[reason];
      assert.ok(spec.http || spec.close || spec.control, `${reason} is carried by nothing`);
      assert.ok(Buffer.byteLength(formatCloseReason(reason, 86_400)) <= 123, `${reason} too long`);
      assert.match(reason, /^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('close reasons round-trip with and without retry-after; anything else parses as no reason', () => {
    assert.deepEqual(parseCloseReason(formatCloseReason('token-expired')), {
      reason: 'token-expired',
      retryAfterSeconds: null,
    });
    assert.deepEqual(parseCloseReason(formatCloseReason('rate-limited', 1.2)), {
      reason: 'rate-limited',
      retryAfterSeconds: 2,
    });
    for (const text of [
      '',
      'because',
      'rate-limited; retry-after=x',
      'Rate-limited',
      'rate-limited;retry-after=1',
    ])
      assert.deepEqual(parseCloseReason(text), { reason: null, retryAfterSeconds: null });
  });

  it('HTTP error bodies: a known reason is typed, an unknown one is null, the message is bounded', () => {
    assert.deepEqual(parseErrorBody({ error: 'quota', message: 'full' }), {
      reason: 'quota',
      message: 'full',
    });
    assert.equal(parseErrorBody({ error: 'constructor' }).reason, null);
    assert.equal(parseErrorBody('quota').reason, null);
    assert.equal(parseErrorBody({ error: 'quota', message: 'm'.repeat(1000) }).message.length, 300);
  });
});

describe('relay contract: documented in PROTOCOL.md §16', () => {
  const spec = readFileSync(join(repoRoot, 'docs', 'PROTOCOL.md'), 'utf8');
  const section = spec.slice(spec.indexOf('## 16.'));

  it('the section exists', () => assert.ok(spec.includes('## 16.'), 'PROTOCOL.md has no section 16'));

  it('lists every relay reason, with its carriers', () => {
    for (const reason of RELAY_REASON_LIST) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${reason}\` |`));
      assert.ok(row, `reason ${reason} is not in the reasons table`);
      const spec: { http?: readonly number[]; close?: number; control?: true } = RELAY_REASONS[reason];
      for (const status of spec.http ?? []) assert.ok(row.includes(String(status)), `${reason}: ${status}`);
      if (spec.close) assert.ok(row.includes(String(spec.close)), `${reason}: close ${spec.close}`);
      if (spec.control) assert.ok(row.includes('control'), `${reason}: control`);
    }
  });

  it('lists every close code and every control op', () => {
    for (const [name, code] of Object.entries(RelayClose))
      assert.ok(section.includes(`\`${code}\``), `close code ${name} ${code}`);
    for (const op of [
      ...CONTROL_OPS.viewerToRelay,
      ...CONTROL_OPS.relayToViewer,
      ...CONTROL_OPS.relayToDevice,
      ...CONTROL_OPS.deviceToRelay,
    ])
      assert.ok(section.includes(`"op": "${op}"`), `control op ${op}`);
  });
});
