import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createIdentity,
  decodeRelayToViewer,
  encodeControl,
  LIVE_SUBPROTOCOL,
  RelayClose,
  Role,
  ready,
} from '@sealcam/protocol';
import { type LiveSocket, liveClosed, openLiveSocket, RelayError, RelaySession } from '@sealcam/relay-client';
import { type TestRelay as RelayUnderTest, startRelay } from '@sealcam/testkit/relay';
import WebSocket from 'ws';

await ready();

/** `ws` as the WHATWG-style constructor the clients take (the browser passes its global WebSocket). */
const NodeWebSocket = WebSocket as unknown as new (url: string, protocols: string[]) => LiveSocket;

function nextClose(socket: LiveSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
}

describe('live connections through the relay client', () => {
  let relay: RelayUnderTest;
  before(async () => {
    relay = await startRelay();
  });
  after(() => relay.stop());

  it('opens with the sealcam.v1 and bearer subprotocols on the token the session already holds', async () => {
    const session = new RelaySession(relay.base, createIdentity(Role.Viewer));
    await session.bearer();
    const socket = (await openLiveSocket(session, NodeWebSocket)) as LiveSocket & WebSocket;
    try {
      assert.equal(socket.protocol, LIVE_SUBPROTOCOL);
      // The relay's hello may come before any listener: ask for a pong instead.
      const pong = new Promise<string>((resolve) =>
        socket.on('message', (data) => {
          if (String(data).includes('"pong"')) resolve(String(data));
        }),
      );
      socket.send(encodeControl({ op: 'ping' }));
      assert.equal(decodeRelayToViewer(await pong).op, 'pong');
      assert.equal(session.authentications, 1);
    } finally {
      socket.close();
    }
  });

  it('parses the close of a replaced device connection by its code and registered reason', async () => {
    const session = new RelaySession(relay.base, createIdentity(Role.Device));
    const first = await openLiveSocket(session, NodeWebSocket);
    const closed = nextClose(first);
    const second = await openLiveSocket(session, NodeWebSocket);
    try {
      const { code, reason } = await closed;
      const close = liveClosed(session, code, reason);
      assert.equal(close.code, RelayClose.Replaced);
      assert.equal(close.reason, 'replaced');
      assert.ok(close.error instanceof RelayError);
      assert.equal(close.error.kind, 'closed');
      assert.equal(close.error.transient, false);
      assert.equal(close.error.needsReauth, false);
    } finally {
      second.close();
    }
  });

  it('a 4401 token-expired close makes the session forget its token: the next connection authenticates again', async () => {
    const session = new RelaySession(relay.base, createIdentity(Role.Device));
    const before = await session.bearer();
    const close = liveClosed(session, RelayClose.Unauthorized, 'token-expired');
    assert.equal(close.reason, 'token-expired');
    assert.equal(close.error.needsReauth, true);
    const socket = await openLiveSocket(session, NodeWebSocket);
    socket.close();
    assert.notEqual(await session.bearer(), before);
    assert.equal(session.authentications, 2);
  });
});
