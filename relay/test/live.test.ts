import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Access, createClockProof, encodeLiveMessage, fromHex, ready, WireType } from '@sealcam/protocol';
import { parseViewerId } from '@sealcam/protocol/relay-safe';
import { until, within } from '@sealcam/testkit/poll';
import WebSocket from 'ws';
import type { ViewerConnection } from '../src/live/viewer-connection.js';
import { openLiveMessages, publishStream } from './support/live-stream.js';
import {
  authenticate,
  connectLive,
  http,
  type LiveClient,
  registerViewers,
  waitForCachedKeyframe,
} from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, people, sealedEvent } from './support/world.js';

await ready();

describe('live relay (memory store)', () => {
  let running: RunningRelay;
  const p = people();
  const tokens: Record<string, string> = {};
  let device: LiveClient;
  let frame: (text: string, keyframe: boolean) => Uint8Array;

  before(async () => {
    running = await startInProcessRelay({ viewerQueueBytes: 65_536 });
    for (const [name, identity] of Object.entries(p))
      tokens[name] = await authenticate(running.base, identity);
    await registerViewers(running.base, p.device, tokens.device!, [
      { identity: p.owner, access: Access.Owner },
      { identity: p.friend },
    ]);
    device = await connectLive(running.wsBase, tokens.device!);
    frame = publishStream(device, p.device, [p.owner, p.friend]).message;
  });
  after(async () => {
    await device?.close();
    await running?.stop();
  });

  it('fans sealed frames out to subscribed viewers, who open them with keys from the manifest', async () => {
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    await viewer.waitControl((m) => m.op === 'subscribed');
    const before = viewer.binary.length;
    device.send(frame('key 1', true));
    for (let i = 0; i < 5; i++) device.send(frame(`delta ${i}`, false));
    await viewer.waitBinary(before + 6);
    const payloads = openLiveMessages(viewer.binary, p.owner, p.device.card);
    assert.deepEqual(payloads.slice(-6), ['key 1', 'delta 0', 'delta 1', 'delta 2', 'delta 3', 'delta 4']);
    await viewer.close();
  });

  it('live on demand: the device is told at connect that leases are granted, and gets a lease for a stream when a viewer subscribes to it', async () => {
    assert.ok(
      device.control.some((m) => m.op === 'demand' && m.seconds === 30 && m.streamId === undefined),
      'the lease announcement came at connect',
    );
    const leases = () => device.control.filter((m) => m.op === 'demand' && m.streamId === 'cam-7').length;
    assert.equal(leases(), 0, 'no lease for a stream nobody watches');
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-7' });
    await viewer.waitControl((m) => m.op === 'subscribed' && m.streamId === 'cam-7');
    const lease = await device.waitControl((m) => m.op === 'demand' && m.streamId === 'cam-7');
    assert.equal(lease.seconds, 30);
    await viewer.close();
  });

  it('clock questions reach the device only for a joined stream, at most one a second; its clock proof reaches the stream viewers unchanged', async () => {
    const nonce = (fill: string) => fill.repeat(32);
    const questions = () => device.control.filter((m) => m.op === 'clock' && m.streamId === 'cam-9');
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    // Not joined yet: dropped, never passed on.
    viewer.send({ op: 'clock', deviceId: idOf(p.device), streamId: 'cam-9', nonce: nonce('0') });
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-9' });
    await viewer.waitControl((m) => m.op === 'subscribed' && m.streamId === 'cam-9');
    viewer.send({ op: 'clock', deviceId: idOf(p.device), streamId: 'cam-9', nonce: nonce('a') });
    viewer.send({ op: 'clock', deviceId: idOf(p.device), streamId: 'cam-9', nonce: nonce('b') });
    const asked = await device.waitControl((m) => m.op === 'clock' && m.streamId === 'cam-9');
    assert.deepEqual(asked, { op: 'clock', streamId: 'cam-9', nonce: nonce('a') });
    // A lease for another stream goes to the device after the second question was handled: once the
    // device has it, the second question would have come before it (one socket, in order).
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-10' });
    await device.waitControl((m) => m.op === 'demand' && m.streamId === 'cam-10');
    assert.deepEqual(
      questions().map((m) => m.nonce),
      [nonce('a')],
    );
    // A second later the next question goes through.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    viewer.send({ op: 'clock', deviceId: idOf(p.device), streamId: 'cam-9', nonce: nonce('c') });
    await device.waitControl((m) => m.op === 'clock' && m.nonce === nonce('c'));
    const proof = createClockProof({ device: p.device, time: Date.now(), nonces: [fromHex(nonce('a'))] });
    const wire = encodeLiveMessage({
      type: WireType.LiveClock,
      deviceId: p.device.card.id,
      streamId: 'cam-9',
      payload: proof,
    });
    const before = viewer.binary.length;
    device.send(wire);
    await viewer.waitBinary(before + 1);
    assert.deepEqual(Buffer.from(viewer.binary[before]!), Buffer.from(wire));
    // A device that floods proofs gets at most 20 per one-second window through to its viewers. Its
    // frame sent after the flood reaches the viewer after every proof that was forwarded.
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    await viewer.waitControl((m) => m.op === 'subscribed' && m.streamId === 'cam-1');
    const flooded = viewer.binary.length;
    for (let i = 0; i < 60; i++) device.send(wire);
    device.send(frame('after the flood', true));
    await until(
      () => viewer.binary.slice(flooded).some((bytes) => bytes[0] === WireType.LiveFrame),
      30_000,
      'the frame after the flood',
    );
    const proofs = viewer.binary.slice(flooded).filter((bytes) => bytes[0] === WireType.LiveClock).length;
    // 20 per one-second window; 40 only if handling the flood straddled a window's end.
    assert.ok(proofs >= 1 && proofs <= 40, `${proofs} of 60 clock proofs forwarded`);
    await viewer.close();
  });

  it('counts frames in and out and frame bytes exactly in /metrics, once per frame across scrapes', async () => {
    const figures = async () => {
      const { text } = await http(running.adminBase, 'GET', '/metrics');
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
      return {
        in: value(/^sealcam_relay_frames_in_total (\d+)$/m),
        out: value(/^sealcam_relay_frames_out_total (\d+)$/m),
        bytes: value(/^sealcam_relay_bytes_in_total\{kind="frame"\} (\d+)$/m),
      };
    };
    const viewers = [
      await connectLive(running.wsBase, tokens.owner!),
      await connectLive(running.wsBase, tokens.friend!),
    ];
    for (const viewer of viewers) {
      viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
      await viewer.waitControl((m) => m.op === 'subscribed');
    }
    const counts = viewers.map((viewer) => viewer.binary.length);
    const before = await figures();
    const frames = [frame('counted key', true), frame('counted 1', false), frame('counted 2', false)];
    for (const message of frames) device.send(message);
    await Promise.all(viewers.map((viewer, i) => viewer.waitBinary(counts[i]! + frames.length)));
    const after = await figures();
    const headerBytes = 1 + 16 + 1 + 'cam-1'.length;
    assert.equal(after.in - before.in, frames.length);
    assert.equal(after.out - before.out, frames.length * viewers.length);
    assert.equal(
      after.bytes - before.bytes,
      frames.reduce((sum, m) => sum + m.length - headerBytes, 0),
    );
    assert.deepEqual(await figures(), after, 'a second scrape adds nothing');
    for (const viewer of viewers) await viewer.close();
  });

  it('what is sent to a viewer while one batch of input is handled leaves in one write, in order', async () => {
    const client = await connectLive(running.wsBase, tokens.owner!);
    client.send({ op: 'ping' });
    await client.waitControl((m) => m.op === 'pong');
    const viewers = (running.relay.hub as unknown as { viewers: { viewers: Set<ViewerConnection> } }).viewers
      .viewers;
    const viewer = [...viewers].at(-1)!;
    const written: number[] = [];
    const socket = viewer.socket as Duplex & { _writev?: (chunks: unknown[], done: () => void) => void };
    const writev = socket._writev!.bind(socket);
    socket._writev = (chunks, done) => {
      written.push(chunks.length);
      writev(chunks, done);
    };
    const controls = client.control.length;
    for (let i = 0; i < 5; i++) viewer.send(JSON.stringify({ op: 'batch', i }));
    assert.equal(socket.writableCorked, 1, 'corked while the batch builds up');
    // Closing in the same batch: everything before the close still arrives, then the close.
    viewer.ws.close(4000, 'end of batch');
    const closed = await client.closed;
    assert.deepEqual(
      client.control.slice(controls).map((m) => m.i),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(closed, { code: 4000, reason: 'end of batch' });
    // The five messages left in one writev (ws writes a header and a payload per message).
    assert.ok(written[0]! >= 10, `first write carried ${written[0]} chunks`);
  });

  /**
   * A viewer subscribing after the device sent `messages` (the first a keyframe, cached before the
   * viewer comes): what it opens of its first two messages.
   */
  async function joinLate(...messages: Uint8Array[]): Promise<{ late: LiveClient; opened: string[] }> {
    for (const message of messages) device.send(message);
    await waitForCachedKeyframe(running.base, tokens.friend!, messages[0]!);
    const late = await connectLive(running.wsBase, tokens.friend!);
    late.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    const subscribed = await late.waitControl((m) => m.op === 'subscribed');
    assert.equal(subscribed.keyframe, true);
    await late.waitBinary(2);
    return { late, opened: openLiveMessages(late.binary.slice(0, 2), p.friend, p.device.card) };
  }

  it('a late joiner gets a cached keyframe larger than 8x its queue, and is not taken for a viewer that does not read', async () => {
    // 600 KB > 8 x 64 KiB: the manifest, the keyframe and "subscribed" go out in one batch.
    const { late, opened } = await joinLate(frame(`big key ${'k'.repeat(600_000)}`, true));
    assert.ok(opened[0]!.startsWith('big key'));
    late.send({ op: 'ping' });
    await late.waitControl((m) => m.op === 'pong');
    await late.close();
  });

  it('a late joiner gets the manifest and the cached keyframe at once', async () => {
    const { late, opened } = await joinLate(frame('cached key', true), frame('after key', false));
    assert.deepEqual(opened, ['cached key']);
    await late.close();
  });

  it('pushes new-event notices to viewers watching the device', async () => {
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    viewer.send({ op: 'watch', deviceId: idOf(p.device) });
    await viewer.waitControl((m) => m.op === 'watching');
    const event = sealedEvent(p.device, [p.owner]);
    await http(running.base, 'PUT', `/v1/devices/${idOf(p.device)}/events/${event.eventId}`, {
      token: tokens.device,
      body: event.envelope,
    });
    const notice = await viewer.waitControl((m) => m.op === 'event');
    assert.equal(notice.eventId, event.eventId);
    assert.equal(notice.streamId, 'cam-1');
    await viewer.close();
  });

  it('a viewer without a grant is refused a subscription', async () => {
    const stranger = await connectLive(running.wsBase, tokens.stranger!);
    stranger.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    const error = await stranger.waitControl((m) => m.op === 'error');
    assert.equal(error.reason, 'no-grant');
    device.send(frame('secret?', true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(stranger.binary.length, 0);
    await stranger.close();
  });

  it('a slow viewer gets bounded memory and drops; a fast viewer loses nothing', async () => {
    const hub = (running.relay.hub as unknown as { fanOut: { streamViewers: Map<string, Set<unknown>> } })
      .fanOut;
    const stream = `${idOf(p.device)}/cam-1`;
    await until(() => !hub.streamViewers.has(stream), 60_000, 'the earlier viewers gone');
    const slow = await connectLive(running.wsBase, tokens.friend!, { readPaused: true });
    const fast = await connectLive(running.wsBase, tokens.owner!);
    for (const client of [slow, fast])
      client.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    await fast.waitControl((m) => m.op === 'subscribed');
    // The slow viewer reads nothing, so it cannot see its own "subscribed": the relay must show it.
    await until(() => hub.streamViewers.get(stream)?.size === 2, 60_000, 'both viewers subscribed');
    const start = fast.binary.length;
    const big = 'x'.repeat(60_000);
    const count = 300;
    let maxBuffered = 0;
    const viewers = (running.relay.hub as unknown as { viewers: { viewers: Set<ViewerConnection> } }).viewers
      .viewers;
    for (let i = 0; i < count; i++) {
      device.send(frame(`${i} ${big}`, i % 30 === 0));
      if (i % 10 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (const viewer of viewers) maxBuffered = Math.max(maxBuffered, viewer.ws.bufferedAmount);
      }
    }
    await fast.waitBinary(start + count, 120_000);
    const metrics = await http(running.adminBase, 'GET', '/metrics');
    const dropped = /sealcam_relay_frames_dropped_total\{reason="(slow-viewer|awaiting-keyframe)"\} (\d+)/g;
    let drops = 0;
    for (const match of metrics.text.matchAll(dropped)) drops += Number(match[2]);
    assert.ok(drops > 0, 'frames were dropped for the slow viewer');
    // Bounded: never more than 4x the queue plus one frame in flight for any viewer.
    assert.ok(maxBuffered <= 4 * 65_536 + 70_000, `buffered ${maxBuffered}`);
    await fast.close();
    slow.ws.terminate();
  });

  it('refuses malformed WebSocket input with a close code and a reason, and keeps running', async () => {
    const noToken = new WebSocket(`${running.wsBase}/v1/live`, ['sealcam.v1']);
    noToken.on('error', () => {});
    const refused = await new Promise<number>((resolve) =>
      noToken.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    assert.equal(refused, 401);
    noToken.terminate();

    const viewer = await connectLive(running.wsBase, tokens.owner!);
    viewer.send(new Uint8Array([1, 2, 3]));
    assert.deepEqual(await viewer.closed, { code: 4400, reason: 'bad-message' });

    const chatty = await connectLive(running.wsBase, tokens.owner!);
    chatty.ws.send('{not json');
    assert.deepEqual(await chatty.closed, { code: 4400, reason: 'bad-message' });
    // The protocol's decoder is strict: a bad id, an unknown op or an unknown field is refused alike.
    for (const message of [
      { op: 'subscribe', deviceId: 'NOT-AN-ID', streamId: 'cam-1' },
      { op: 'subscribe', deviceId: idOf(p.device), streamId: 'bad stream' },
      { op: 'launch' },
      { op: 'ping', extra: true },
    ]) {
      const strict = await connectLive(running.wsBase, tokens.owner!);
      strict.send(message);
      assert.deepEqual(await strict.closed, { code: 4400, reason: 'bad-message' }, JSON.stringify(message));
    }

    // Too short to hold a device id: not a live message at all.
    const otherDevice = await connectLive(running.wsBase, await authenticate(running.base, p.otherDevice));
    otherDevice.send(new Uint8Array([0x01, 5, 0x63, 0x61, 0x6d, 0x2d, 0x31, 1, 2, 3]));
    assert.deepEqual(await otherDevice.closed, { code: 4400, reason: 'bad-message' });

    // A well-formed live message of the device whose frame has no valid clear header.
    const garbled = await connectLive(running.wsBase, await authenticate(running.base, p.otherDevice));
    garbled.send(
      encodeLiveMessage({
        type: WireType.LiveFrame,
        deviceId: p.otherDevice.card.id,
        streamId: 'cam-1',
        payload: new Uint8Array([1, 2, 3]),
      }),
    );
    assert.deepEqual(await garbled.closed, { code: 4400, reason: 'invalid-frame' });

    // A clock proof must parse and name the connection's device inside.
    for (const payload of [
      new Uint8Array([1, 7, 0]),
      createClockProof({ device: p.device, time: Date.now(), nonces: [new Uint8Array(16)] }),
    ]) {
      const clock = await connectLive(running.wsBase, await authenticate(running.base, p.otherDevice));
      clock.send(
        encodeLiveMessage({
          type: WireType.LiveClock,
          deviceId: p.otherDevice.card.id,
          streamId: 'cam-1',
          payload,
        }),
      );
      assert.deepEqual(await clock.closed, { code: 4400, reason: 'bad-message' });
    }

    // A device may only publish under its own id: the relay forwards the bytes it checked.
    const impostor = await connectLive(running.wsBase, await authenticate(running.base, p.otherDevice));
    impostor.send(frame('pretending to be another camera', true));
    const refused403 = await impostor.closed;
    assert.equal(refused403.code, 4403);
    assert.equal(refused403.reason, 'wrong-device');

    const health = await http(running.base, 'GET', '/healthz');
    assert.equal(health.status, 200);
  });

  it('closes a live connection when its token expires (4401 token-expired), then refuses the token', async () => {
    // A real token of the relay's own issuer, with LEFT_MS to live.
    const LEFT_MS = 15_000;
    const { tokens: issuer } = running.relay.context;
    const { token, session } = issuer.issue(
      { id: parseViewerId(idOf(p.friend)), role: 'viewer' },
      Date.now(),
      LEFT_MS,
    );
    const viewer = await connectLive(running.wsBase, token);
    await viewer.waitControl((m) => m.op === 'hello');
    assert.deepEqual(await within(viewer.closed, LEFT_MS + 120_000, 'the close at expiry'), {
      code: 4401,
      reason: 'token-expired',
    });
    // The close follows the expiry (timers may fire a few ms early against the wall clock).
    assert.ok(Date.now() >= session.expiresAt - 100, 'closed at expiry, not before');

    const again = new WebSocket(`${running.wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`]);
    again.on('error', () => {});
    const refused = await new Promise<{ status: number; body: string }>((resolve) =>
      again.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      }),
    );
    assert.equal(refused.status, 401);
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'token-expired');
    again.terminate();
  });

  it("renewed in band before its token expires, a connection stays open past that expiry (viewer and device); a renewal with a refused token, another identity's or too soon after the last closes it", async () => {
    const LEFT_MS = 4_000;
    const { tokens: issuer } = running.relay.context;
    const viewerId = parseViewerId(idOf(p.friend));
    const short = issuer.issue({ id: viewerId, role: 'viewer' }, Date.now(), LEFT_MS);
    const viewer = await connectLive(running.wsBase, short.token);
    await viewer.waitControl((m) => m.op === 'hello');
    const fresh = issuer.issue({ id: viewerId, role: 'viewer' }, Date.now(), 600_000);
    viewer.send({ op: 'renew', token: fresh.token });
    const renewed = await viewer.waitControl((m) => m.op === 'renewed');
    assert.equal(renewed.expiresAt, fresh.session.expiresAt);
    await until(() => Date.now() > short.session.expiresAt + 1000, LEFT_MS + 60_000, 'past the first expiry');
    viewer.send({ op: 'ping' });
    await viewer.waitControl((m) => m.op === 'pong');
    viewer.send({ op: 'renew', token: fresh.token });
    assert.deepEqual(await viewer.closed, { code: 4429, reason: 'rate-limited' });

    // A device renews with a text message, the one it sends.
    const deviceToken = await authenticate(running.base, p.otherDevice);
    const camera = await connectLive(running.wsBase, deviceToken);
    camera.send({ op: 'renew', token: await authenticate(running.base, p.otherDevice) });
    assert.equal(typeof (await camera.waitControl((m) => m.op === 'renewed')).expiresAt, 'number');
    await camera.close();
    for (const [token, closed] of [
      [tokens.friend!, { code: 4400, reason: 'bad-message' }],
      ['v1.bm90LWNsYWltcw.bm90LWEtbWFj', { code: 4401, reason: 'reauthenticate' }],
    ] as const) {
      const other = await connectLive(running.wsBase, deviceToken);
      other.send({ op: 'renew', token });
      assert.deepEqual(await other.closed, closed);
    }
  });

  it('tells each connection its reconnect window right after the upgrade (few connections: 1 s)', async () => {
    const viewer = await connectLive(running.wsBase, tokens.owner!);
    assert.deepEqual(await viewer.waitControl((m) => m.op === 'reconnect'), { op: 'reconnect', seconds: 1 });
    await viewer.close();
    const camera = await connectLive(running.wsBase, await authenticate(running.base, p.otherDevice));
    assert.deepEqual(await camera.waitControl((m) => m.op === 'reconnect'), { op: 'reconnect', seconds: 1 });
    await camera.close();
  });

  it('a second connection of the same device replaces the first', async () => {
    const second = await connectLive(running.wsBase, tokens.device!);
    const first = await device.closed;
    assert.equal(first.code, 4409);
    device = second;
  });
});
