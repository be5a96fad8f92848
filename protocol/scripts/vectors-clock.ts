/** Vectors of §6.8: a clock proof, its LiveClock message, reject cases, and freshness verdicts. */
import { fromHex, toHex } from '../src/bytes.js';
import { createClockProof } from '../src/clock-proof.js';
import { freshnessOf } from '../src/freshness.js';
import type { Identity } from '../src/identity.js';
import { encodeLiveMessage, WireType } from '../src/relay-wire.js';
import { hexPatch } from './vector-hex.js';
import type { Json, RejectCase } from './vectors.js';

const NONCES = ['000102030405060708090a0b0c0d0e0f', 'f0e0d0c0b0a090807060504030201000', '5a'.repeat(16)];

export function clockVectors(device: Identity, now: number): { [key: string]: Json } {
  const proof = createClockProof({ device, time: now, nonces: NONCES.map(fromHex) });
  const hex = toHex(proof);
  const message = encodeLiveMessage({
    type: WireType.LiveClock,
    deviceId: device.card.id,
    streamId: 'cam-1',
    payload: proof,
  });
  const sample = { deviceTime: now, sentAt: 10_000, receivedAt: 10_040 };
  const freshness = [
    { capturedAtUs: (now - 150) * 1000, at: 10_040 },
    { capturedAtUs: (now - 2960) * 1000, at: 10_040 },
    { capturedAtUs: (now - 2961) * 1000, at: 10_040 },
    { capturedAtUs: (now - 47_000) * 1000, at: 10_040 },
    { capturedAtUs: (now + 60_000) * 1000, at: 70_100 },
  ].map((row) => ({ ...row, freshness: { ...freshnessOf(sample, row.capturedAtUs, row.at) } as Json }));
  const check = `clock:${NONCES[1]}`;
  return {
    description:
      'Clock proofs (§6.8): device = the device party, time = now, three nonces; the LiveClock message for stream cam-1; freshness verdicts for one sample (device time, viewer monotonic sentAt/receivedAt in ms).',
    time: now,
    nonces: NONCES,
    proof: hex,
    message: toHex(message),
    sample,
    freshness,
    reject: [
      {
        name: 'clock proof for another nonce',
        check: `clock:${'11'.repeat(16)}`,
        bytes: hex,
        expect: 'REPLAYED',
      },
      {
        name: 'clock proof with its time changed',
        check,
        bytes: hexPatch(hex, 25, proof[25]! ^ 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'clock proof with a nonce changed',
        check: `clock:${NONCES[0]}`,
        bytes: hexPatch(hex, 27 + 16 + 3, proof[27 + 16 + 3]! ^ 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'clock proof with its signature changed',
        check,
        bytes: hexPatch(hex, proof.length - 1, proof[proof.length - 1]! ^ 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'clock proof from another device id',
        check,
        bytes: hexPatch(hex, 2, proof[2]! ^ 1),
        expect: 'WRONG_DEVICE',
      },
      { name: 'clock proof with no nonce', check, bytes: hexPatch(hex, 26, 0), expect: 'MALFORMED' },
      { name: 'clock proof with 33 nonces', check, bytes: hexPatch(hex, 26, 33), expect: 'MALFORMED' },
      { name: 'clock proof cut short', check, bytes: hex.slice(0, -2), expect: 'TRUNCATED' },
      { name: 'clock proof with a byte after it', check, bytes: `${hex}00`, expect: 'MALFORMED' },
      { name: 'clock proof of another kind', check, bytes: hexPatch(hex, 1, 0x05), expect: 'WRONG_KIND' },
    ] satisfies RejectCase[],
  };
}
