import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createClockProof, createIdentity, fromHex, type Identity, Role, ready } from '@sealcam/protocol';
import { CLOCK_SAMPLE_MAX_AGE_MS, DeviceClock, MAX_CLOCK_DISAGREEMENT_MS } from '../src/sdk/device-clock.js';

let device: Identity;
before(async () => {
  await ready();
  device = createIdentity(Role.Device);
});

/** A DeviceClock on clocks the test moves: `monotonic` and `wall` in ms. */
function clockUnderTest() {
  const clocks = { monotonic: 1000, wall: 1_767_225_600_000 };
  const questions: string[] = [];
  const clock = new DeviceClock(
    device.card,
    (nonce) => questions.push(nonce),
    () => undefined,
    () => clocks.monotonic,
    () => clocks.wall,
  );
  const answer = () =>
    clock.handleProof(createClockProof({ device, time: clocks.wall, nonces: [fromHex(questions.at(-1)!)] }));
  return { clock, clocks, questions, answer };
}

test('a clock sample is kept while the wall and monotonic clocks agree, and dropped (and asked again) after a sleep', () => {
  const { clock, clocks, questions, answer } = clockUnderTest();
  clock.ask();
  clocks.monotonic += 30;
  clocks.wall += 30;
  assert.equal(answer(), true);
  assert.ok(clock.usableSample(), 'a usable sample');
  // A minute of ordinary time: both clocks moved alike.
  clocks.monotonic += 60_000;
  clocks.wall += 60_000 + MAX_CLOCK_DISAGREEMENT_MS / 2;
  assert.ok(clock.usableSample(), 'kept');
  // The computer slept an hour: the monotonic clock stood still. Frames after it would look an hour
  // younger than they are against the old sample, so the sample goes and a new question is sent.
  const asked = questions.length;
  clocks.wall += 3_600_000;
  assert.equal(clock.usableSample(), null);
  assert.equal(questions.length, asked + 1);
  clock.close();
});

test('a sample is not used past its maximum age: a relay that drops every refresh ends it', () => {
  const { clock, clocks, questions, answer } = clockUnderTest();
  clock.ask();
  answer();
  assert.ok(clock.usableSample());
  const asked = questions.length;
  clocks.monotonic += CLOCK_SAMPLE_MAX_AGE_MS + 1;
  clocks.wall += CLOCK_SAMPLE_MAX_AGE_MS + 1;
  assert.equal(clock.usableSample(), null);
  assert.equal(questions.length, asked + 1, 'asked again at once');
  clock.close();
});

test('of the questions a proof answers, the newest bounds the sample', () => {
  const { clock, clocks, questions } = clockUnderTest();
  clock.ask();
  clocks.monotonic += 3000; // the first question went unanswered for 3 s
  clocks.wall += 3000;
  clock.ask();
  clocks.monotonic += 20;
  clocks.wall += 20;
  const proof = createClockProof({
    device,
    time: clocks.wall,
    nonces: questions.map((nonce) => fromHex(nonce)),
  });
  assert.equal(clock.handleProof(proof), true);
  assert.equal(clock.usableSample()?.sentAt, clocks.monotonic - 20, 'bounded by the second question, 20 ms');
  clock.close();
});

test('an answer that took longer than the bound is not used; an answer to no open question is ignored', () => {
  const { clock, clocks, questions, answer } = clockUnderTest();
  clock.ask();
  clocks.monotonic += 2500;
  clocks.wall += 2500;
  assert.equal(answer(), true, 'it answers our question');
  assert.equal(clock.usableSample(), null, 'but too late to bound the device clock');
  assert.equal(
    clock.handleProof(createClockProof({ device, time: clocks.wall, nonces: [new Uint8Array(16).fill(7)] })),
    false,
  );
  assert.equal(questions.length, 1);
  clock.close();
});
