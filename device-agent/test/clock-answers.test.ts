import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createIdentity,
  decodeLiveMessage,
  type Identity,
  LIMITS,
  openClockProof,
  parseClockProof,
  parseStreamId,
  Role,
  ready,
  toHex,
  WireType,
} from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { ClockAnswers } from '../src/relay/clock-answers.js';

let device: Identity;
before(async () => {
  await ready();
  device = createIdentity(Role.Device);
});

const nonce = (i: number) => toHex(new Uint8Array(16).fill(i));

function answering() {
  const sent: ReturnType<typeof decodeLiveMessage>[] = [];
  const answers = new ClockAnswers(device, (message) => {
    sent.push(decodeLiveMessage(message));
    return true;
  });
  return { sent, answers };
}

describe('the device answers clock questions (PROTOCOL.md §6.8)', () => {
  it('questions that arrive together get one signed proof on their stream, with the device time', async () => {
    const { sent, answers } = answering();
    const before = Date.now();
    for (const i of [1, 2, 3]) answers.ask(parseStreamId('cam-1'), nonce(i));
    await until(() => sent.length >= 1, 30_000, 'a clock proof');
    assert.equal(sent.length, 1);
    const [message] = sent;
    assert.equal(message!.type, WireType.LiveClock);
    assert.equal(message!.streamId, 'cam-1');
    for (const i of [1, 2, 3]) {
      const time = openClockProof(message!.payload, {
        device: device.card,
        nonce: new Uint8Array(16).fill(i),
      });
      assert.ok(time >= before && time <= Date.now(), 'signed with the clock read after the questions');
    }
    answers.stop();
  });

  it('keeps at most 32 questions per stream waiting; the rest are dropped and counted', async () => {
    const { sent, answers } = answering();
    for (let i = 0; i < LIMITS.clockNonces + 8; i++) answers.ask(parseStreamId('cam-1'), nonce(i));
    await until(() => sent.length >= 1, 30_000, 'a clock proof');
    assert.equal(parseClockProof(sent[0]!.payload).nonces.length, LIMITS.clockNonces);
    assert.equal(answers.dropped, 8);
    answers.stop();
  });

  it('signs at most 10 proofs a second however many streams are asked about; the others follow in the next second', async () => {
    const { sent, answers } = answering();
    for (let stream = 0; stream < 15; stream++) answers.ask(parseStreamId(`cam-${stream}`), nonce(stream));
    await until(() => sent.length >= 15, 30_000, '15 clock proofs');
    const times = sent.map((message) => parseClockProof(message.payload).time);
    assert.ok(
      times[10]! - times[0]! >= 500,
      `the 11th proof waited for the next second (${times[10]! - times[0]!} ms)`,
    );
    assert.deepEqual(
      new Set(sent.map((message) => message.streamId)),
      new Set(Array.from({ length: 15 }, (_, stream) => `cam-${stream}`)),
    );
    answers.stop();
  });

  it('ignores a nonce that is not 16 bytes', async () => {
    const { sent, answers } = answering();
    answers.ask(parseStreamId('cam-1'), 'abcd');
    answers.ask(parseStreamId('cam-1'), nonce(7));
    await until(() => sent.length >= 1, 30_000, 'a clock proof');
    assert.equal(parseClockProof(sent[0]!.payload).nonces.length, 1);
    answers.stop();
  });
});
