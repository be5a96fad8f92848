import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReturnSchedule } from '../src/http/return-schedule.js';

describe('return schedule: a refused crowd is told to come back at the pace admission refills', () => {
  it('refusals at one instant are promised `rate` a second, second after second, up to the horizon', () => {
    const schedule = new ReturnSchedule(4, 5, () => 10_000);
    const waits = Array.from({ length: 30 }, () => schedule.promise());
    // Slots 0, 0.25, ... s ahead: the first lies now (told 1 s, the least), then 4 per whole second.
    assert.deepEqual(waits.slice(0, 20), [1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5]);
    // Full to its 5 s horizon: no promise (a flood cannot gather everyone into its last second).
    assert.deepEqual(waits.slice(20), Array(10).fill(null));
  });

  it('as time passes the promises move with it; a quiet spell starts the schedule afresh', () => {
    let now = 0;
    const schedule = new ReturnSchedule(2, 600, () => now);
    for (let i = 0; i < 20; i++) schedule.promise();
    // 20 promised at 2 a second reach 10 s ahead; 3 s later the next is 7 s ahead of the new now.
    now = 3000;
    assert.equal(schedule.promise(), 7);
    now = 60_000;
    assert.equal(schedule.promise(), 1);
  });
});
