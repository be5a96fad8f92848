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
import {
  type LiveSocket,
  liveClosed,
  openLiveSocket,
  RelayError,
  RelaySession,
  SOCKET_OPEN,
} from '@sealcam/relay-client';
import { within } from '@sealcam/testkit/poll';
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
});

describe('a live connection whose token expires', () => {
  /** The relay's shortest token lifetime (relay option SEALCAM_TOKEN_TTL_SECONDS, minimum 30). */
  const TOKEN_TTL_SECONDS = 30;
  let relay: RelayUnderTest;
  before(async () => {
    relay = await startRelay({ SEALCAM_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) });
  });
  after(() => relay.stop());

  it('is closed by the relay with 4401 token-expired; the same session authenticates again and reconnects', {
    timeout: 180_000,
  }, async () => {
    // The session's clock runs two minutes behind: by its own reckoning the token never expires during
    // this test, so only the relay's close (liveClosed forgetting the token) makes it authenticate again.
    const session = new RelaySession(relay.base, createIdentity(Role.Viewer), {
      now: () => Date.now() - 120_000,
    });
    const first = await openLiveSocket(session, NodeWebSocket);
    const token = await session.bearer();
    assert.equal(session.authentications, 1);
    const { code, reason } = await within(
      nextClose(first),
      150_000,
      'the relay closing the expired connection',
    );
    const close = liveClosed(session, code, reason);
    assert.equal(close.code, RelayClose.Unauthorized);
    assert.equal(close.reason, 'token-expired');
    assert.equal(close.error.needsReauth, true);
    assert.equal(close.error.transient, false);

    const second = await openLiveSocket(session, NodeWebSocket);
    try {
      assert.equal(session.authentications, 2);
      assert.notEqual(await session.bearer(), token);
      assert.equal(second.readyState, SOCKET_OPEN);
    } finally {
      second.close();
    }
  });
});
