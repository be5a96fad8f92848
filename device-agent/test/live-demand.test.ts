import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamId } from '@sealcam/protocol';
import { IDLE_KEYFRAME_MS, LiveDemand } from '../src/relay/live-demand.js';

const KEY = { keyframe: true, dependent: false };
const JPEG = { keyframe: false, dependent: false };
const INTER = { keyframe: false, dependent: true };

const T = 1_800_000_000_000;

describe('live on demand (device side)', () => {
  it('uploads every frame until the relay announces leases', () => {
    const demand = new LiveDemand();
    demand.connected();
    assert.equal(demand.shouldSend('cam', JPEG, T), true);
    assert.equal(demand.shouldSend('cam', KEY, T + 1), true);
  });

  it('after the announcement, without a lease: only one keyframe per IDLE_KEYFRAME_MS, no other frame', () => {
    const demand = new LiveDemand();
    demand.connected();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    const sent: string[] = [];
    for (let ms = 0; ms < 3 * IDLE_KEYFRAME_MS; ms += 500) {
      const keyframe = ms % 2000 === 0;
      if (demand.shouldSend('cam', keyframe ? KEY : INTER, T + ms))
        sent.push(`${keyframe ? 'K' : 'p'}@${ms}`);
    }
    assert.deepEqual(sent, ['K@0', `K@${IDLE_KEYFRAME_MS}`, `K@${2 * IDLE_KEYFRAME_MS}`]);
  });

  it('under a lease every frame of that stream goes, until the lease runs out; other streams stay idle', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    demand.handle({ op: 'demand', streamId: parseStreamId('front'), seconds: 30 }, T);
    assert.equal(demand.shouldSend('front', JPEG, T + 29_999), true);
    assert.equal(demand.shouldSend('back', JPEG, T + 1), false);
    assert.equal(demand.shouldSend('front', JPEG, T + 30_000), false, 'the lease ran out');
    demand.handle({ op: 'demand', streamId: parseStreamId('front'), seconds: 30 }, T + 30_001);
    assert.equal(demand.shouldSend('front', JPEG, T + 30_002), true, 'a renewal starts it again');
  });

  it('a shorter lease never cuts a longer one short, and a reconnect uploads everything until the next announcement', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    demand.handle({ op: 'demand', streamId: parseStreamId('cam'), seconds: 300 }, T);
    demand.handle({ op: 'demand', streamId: parseStreamId('cam'), seconds: 1 }, T + 1000);
    assert.equal(demand.watched('cam', T + 200_000), true);
    assert.equal(demand.watched('other', T), false);
    demand.connected();
    assert.equal(demand.watched('other', T), true, 'a relay that has not announced leases gets every frame');
  });

  it('video held back resumes at a keyframe once watched: no inter-coded unit goes without its references', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    assert.equal(demand.shouldSend('cam', KEY, T), true, 'the idle keyframe');
    assert.equal(demand.shouldSend('cam', INTER, T + 100), false, 'unwatched');
    demand.handle({ op: 'demand', streamId: parseStreamId('cam'), seconds: 30 }, T + 150);
    assert.equal(demand.shouldSend('cam', INTER, T + 200), false, 'its references were held back');
    assert.equal(demand.shouldSend('cam', JPEG, T + 210), true, 'audio (independent) goes at once');
    assert.equal(demand.shouldSend('cam', KEY, T + 2000), true, 'the next keyframe goes');
    assert.equal(demand.shouldSend('cam', INTER, T + 2100), true, 'and everything after it');
  });

  it('watched from the start, with nothing held back, every unit goes', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    demand.handle({ op: 'demand', streamId: parseStreamId('cam'), seconds: 30 }, T);
    assert.deepEqual(
      [INTER, KEY, INTER, INTER].map((frame, i) => demand.shouldSend('cam', frame, T + i)),
      [true, true, true, true],
    );
  });

  it('a wanted keyframe (new epoch, new connection, a request) goes on an unwatched stream even within the idle interval', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    assert.equal(demand.shouldSend('cam', KEY, T), true);
    assert.equal(demand.shouldSend('cam', KEY, T + 1000), false, 'within the idle interval');
    assert.equal(
      demand.shouldSend('cam', { ...KEY, wanted: true }, T + 2000),
      true,
      'a new epoch needs one now',
    );
    assert.equal(demand.shouldSend('cam', KEY, T + 3000), false, 'and the interval restarts from it');
  });
});
