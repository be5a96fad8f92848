import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Access, ready } from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import WebSocket from 'ws';
import { publishStream } from './support/live-stream.js';
import {
  authenticate,
  connectLive,
  http,
  registerViewers,
  waitForCachedKeyframe,
} from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, people } from './support/world.js';

await ready();

/** An upgrade request ws must refuse (no Sec-WebSocket-Key) carrying a valid token. */
function brokenUpgrade(port: number, token: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.write(
        `GET /v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sealcam.v1, bearer.${token}\r\n\r\n`,
      );
    });
    let answer = '';
    socket.on('data', (data) => {
      answer += String(data);
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.setTimeout(30_000, () => socket.destroy());
  });
}

function openStatus(url: string, token: string): Promise<{ status: number; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['sealcam.v1', `bearer.${token}`]);
    ws.on('error', () => {});
    const timer = setTimeout(() => resolve({ status: -1, ws }), 60_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ status: 101, ws });
    });
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve({ status: response.statusCode ?? 0, ws });
    });
  });
}

describe('abuse resistance (from the security review)', () => {
  let running: RunningRelay;
  const p = people();
  const tokens: Record<string, string> = {};

  before(async () => {
    running = await startInProcessRelay({
      connectionsPerIdentity: 3,
      subscriptionsPerConnection: 4,
      viewerMessagesPerSecond: 20,
    });
    for (const [name, identity] of Object.entries(p))
      tokens[name] = await authenticate(running.base, identity);
    await registerViewers(running.base, p.device, tokens.device!, [
      { identity: p.owner, access: Access.Owner },
    ]);
  });
  after(async () => running?.stop());

  it('an upgrade that ws refuses is answered 400 invalid-request and gives its connection slot back', async () => {
    const port = Number(new URL(running.base).port);
    for (let i = 0; i < 20; i++) {
      const answer = await brokenUpgrade(port, tokens.owner!);
      assert.match(answer, /^HTTP\/1.1 400 /);
      // Answered like every other refusal: the JSON error body, not ws's own text reply.
      assert.match(answer, /\r\nContent-Type: application\/json\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string };
      assert.equal(body.error, 'invalid-request');
    }
    // 20 refused upgrades against a cap of 3 per identity: a leaked slot would stay taken for good.
    await until(
      async () => (await http(running.adminBase, 'GET', '/healthz')).json?.connections === 0,
      30_000,
      'no connection left open',
    );
    const { status, ws } = await openStatus(`${running.wsBase}/v1/live`, tokens.owner!);
    assert.equal(status, 101);
    ws.close();
  });

  it('one identity cannot take every connection slot', async () => {
    const opened = [];
    for (let i = 0; i < 5; i++) opened.push(await openStatus(`${running.wsBase}/v1/live`, tokens.stranger!));
    assert.deepEqual(
      opened.map((o) => o.status),
      [101, 101, 101, 503, 503],
    );
    const other = await openStatus(`${running.wsBase}/v1/live`, tokens.friend!);
    assert.equal(other.status, 101, 'others still get in');
    for (const o of [...opened, other]) o.ws.close();
  });

  it('a viewer flooding control messages is closed with 4429; an oversized one with 1009', async () => {
    const flood = await connectLive(running.wsBase, tokens.friend!);
    for (let i = 0; i < 200; i++) flood.send({ op: 'ping' });
    assert.equal((await flood.closed).code, 4429);
    const big = await connectLive(running.wsBase, tokens.friend!);
    big.ws.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(10_000) }));
    assert.equal((await big.closed).code, 1009);
  });

  it('pipelined subscribes cannot exceed the cap, and a closed viewer leaves nothing behind', async () => {
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    for (let i = 0; i < 30; i++)
      viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: `cam-${i}` });
    // Every subscribe is answered (subscribed, or refused at once over the cap): wait for all 30.
    const answered = () =>
      viewer.control.filter(
        (m) => m.op === 'subscribed' || (m.op === 'error' && m.reason === 'too-many-subscriptions'),
      ).length;
    await until(() => answered() === 30, 60_000, 'an answer to each of the 30 subscribes');
    assert.equal(viewer.control.filter((m) => m.op === 'subscribed').length, 4);
    await viewer.close();
    const ghost = await connectLive(running.wsBase, tokens.owner!);
    for (let i = 0; i < 4; i++)
      ghost.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: `ghost-${i}` });
    ghost.ws.terminate();
    const hub = (
      running.relay.hub as unknown as {
        fanOut: { streamViewers: Map<string, unknown>; liveInterest: Map<string, number> };
      }
    ).fanOut;
    // Once the relay has seen the connection end, every subscribe still in flight must find it closed.
    await until(
      async () => (await http(running.adminBase, 'GET', '/healthz')).json?.connections === 0,
      30_000,
      'the relay to see the viewer go',
    );
    await until(
      () => hub.streamViewers.size === 0 && hub.liveInterest.size === 0,
      30_000,
      'no stream registration left behind',
    );
  });

  it('a viewer dropped from the access list loses its live feed at once (second line)', async () => {
    await registerViewers(
      running.base,
      p.device,
      tokens.device!,
      [{ identity: p.owner, access: Access.Owner }, { identity: p.friend }],
      2,
    );
    const device = await connectLive(running.wsBase, tokens.device!);
    const stream = publishStream(device, p.device, [p.owner, p.friend], 'revoked-feed');
    const friend = await connectLive(running.wsBase, tokens.friend!);
    friend.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'revoked-feed' });
    await friend.waitControl((m) => m.op === 'subscribed');
    await registerViewers(
      running.base,
      p.device,
      tokens.device!,
      [{ identity: p.owner, access: Access.Owner }],
      3,
    );
    const error = await friend.waitControl((m) => m.op === 'error' && m.reason === 'grant-revoked');
    assert.equal(error.deviceId, idOf(p.device));
    const before = friend.binary.length;
    stream.send('after revocation', true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(friend.binary.length, before, 'no frame after the access list dropped the viewer');
    await friend.close();
    await device.close();
  });

  it('keyframes are cached only for streams with an accepted manifest', async () => {
    const device = await connectLive(running.wsBase, tokens.device!);
    const stream = publishStream(device, p.device, [p.owner], 'with-manifest');
    stream.send('key', true);
    const bare = publishStream({ send: () => {} } as never, p.device, [p.owner], 'no-manifest');
    device.send(bare.message('key without manifest', true));
    // A device's messages are handled in order: once a later stream's keyframe is cached, the
    // keyframe without a manifest has been handled too.
    const marker = publishStream(device, p.device, [p.owner], 'after-both');
    const markerKey = marker.message('marker key', true);
    device.send(markerKey);
    await waitForCachedKeyframe(running.base, tokens.owner!, markerKey);
    const cached = (streamId: string) =>
      http(running.base, 'GET', `/v1/devices/${idOf(p.device)}/streams/${streamId}/keyframe`, {
        token: tokens.owner,
      });
    assert.equal((await cached('with-manifest')).status, 200);
    assert.equal((await cached('no-manifest')).status, 404);
    await device.close();
  });

  // Runs last: every reply of the tests above had a status its route declares (docs/RELAY-API.md).
  it('answered only statuses that the routes declare (and the OpenAPI document lists)', async () => {
    assert.deepEqual(await running.undeclaredReplies(), []);
  });
});
