import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameThrottle } from '../web/src/frame-throttle.js';

test('one decode at a time; the newest waiting frame wins', () => {
  const throttle = new FrameThrottle<number>();
  assert.equal(throttle.offer(1), true, 'first frame schedules a render');
  assert.equal(throttle.offer(2), false, 'already scheduled');
  assert.equal(throttle.take(0), 2, 'the newest is decoded');
  assert.equal(throttle.dropped, 1);
  assert.equal(throttle.offer(3), false, 'decoding: no second render');
  assert.equal(throttle.offer(4), false);
  assert.equal(throttle.finish(), true, 'a frame waits: schedule again');
  assert.equal(throttle.take(16), 4);
  assert.equal(throttle.dropped, 2);
  assert.equal(throttle.finish(), false, 'nothing waits: idle');
  assert.equal(throttle.offer(5), true, 'idle again: schedules');
});

test('a render that finds nothing goes idle', () => {
  const throttle = new FrameThrottle<number>();
  assert.equal(throttle.offer(1), true);
  throttle.reset();
  assert.equal(throttle.take(0), undefined);
  assert.equal(throttle.offer(2), true);
});

test('the minimum interval delays the next decode', () => {
  const throttle = new FrameThrottle<number>(2000);
  assert.equal(throttle.delay(0), 0, 'nothing decoded yet');
  throttle.offer(1);
  throttle.take(1000);
  throttle.offer(2);
  throttle.finish();
  assert.equal(throttle.delay(1500), 1500);
  assert.equal(throttle.delay(3500), 0);
  throttle.setMinInterval(0);
  assert.equal(throttle.delay(1500), 0);
});

test('under a flood only as many frames are decoded as renders happen', () => {
  const throttle = new FrameThrottle<number>();
  let decoded = 0;
  let scheduled = false;
  for (let frame = 0; frame < 1000; frame++) {
    if (throttle.offer(frame)) scheduled = true;
    if (frame % 10 === 9 && scheduled) {
      // a render every ten frames
      scheduled = false;
      if (throttle.take(frame) !== undefined) decoded++;
      scheduled = throttle.finish();
    }
  }
  assert.equal(decoded, 100);
  assert.equal(throttle.dropped + decoded + (throttle.pending ? 1 : 0), 1000);
});
