import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamId } from '@sealcam/protocol';
import { IDLE_KEYFRAME_MS, LiveDemand } from '../src/relay/live-demand.js';

const T = 1_800_000_000_000;

describe('live on demand (device side)', () => {
  it('uploads every frame until the relay announces leases', () => {
    const demand = new LiveDemand();
    demand.connected();
    assert.equal(demand.shouldSend('cam', false, T), true);
    assert.equal(demand.shouldSend('cam', true, T + 1), true);
  });

  it('after the announcement, without a lease: only one keyframe per IDLE_KEYFRAME_MS, no other frame', () => {
    const demand = new LiveDemand();
    demand.connected();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    const sent: string[] = [];
    for (let ms = 0; ms < 3 * IDLE_KEYFRAME_MS; ms += 500) {
      const keyframe = ms % 2000 === 0;
      if (demand.shouldSend('cam', keyframe, T + ms)) sent.push(`${keyframe ? 'K' : 'p'}@${ms}`);
    }
    assert.deepEqual(sent, ['K@0', `K@${IDLE_KEYFRAME_MS}`, `K@${2 * IDLE_KEYFRAME_MS}`]);
  });

  it('under a lease every frame of that stream goes, until the lease runs out; other streams stay idle', () => {
    const demand = new LiveDemand();
    demand.handle({ op: 'demand', seconds: 30 }, T);
    demand.handle({ op: 'demand', streamId: parseStreamId('front'), seconds: 30 }, T);
    assert.equal(demand.shouldSend('front', false, T + 29_999), true);
    assert.equal(demand.shouldSend('back', false, T + 1), false);
    assert.equal(demand.shouldSend('front', false, T + 30_000), false, 'the lease ran out');
    demand.handle({ op: 'demand', streamId: parseStreamId('front'), seconds: 30 }, T + 30_001);
    assert.equal(demand.shouldSend('front', false, T + 30_002), true, 'a renewal starts it again');
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
});
