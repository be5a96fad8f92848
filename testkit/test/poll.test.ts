import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until, within } from '../src/poll.js';

describe('until', () => {
  it('resolves with the first truthy value, checking again after falsy values and errors', async () => {
    let calls = 0;
    const value = await until(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not yet');
        return calls >= 4 ? { calls } : null;
      },
      60_000,
      'the fourth call',
    );
    assert.deepEqual(value, { calls: 4 });
    assert.equal(calls, 4);
  });

  it('fails after the bound, naming what it waited for and the last error', async () => {
    const started = Date.now();
    await assert.rejects(
      until(
        () => {
          throw new Error('still down');
        },
        300,
        'the service',
      ),
      /timed out after 300 ms waiting for the service \(last error: Error: still down\)/,
    );
    assert.ok(Date.now() - started >= 300, 'gave up before the bound');
  });
});

describe('within', () => {
  it('passes a settled promise through and fails one that does not settle in time', async () => {
    assert.equal(await within(Promise.resolve(7), 60_000, 'seven'), 7);
    await assert.rejects(within(new Promise(() => {}), 50, 'never'), /never did not settle within 50 ms/);
  });
});
