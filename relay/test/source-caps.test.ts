import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import type WebSocket from 'ws';
import { FromAddress } from './support/from-address.js';
import { requestOn } from './support/raw-request.js';
import { authenticate } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf } from './support/world.js';

await ready();

describe('caps per source address that tokens do not lift', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay({ socketsPerSource: 6, connectionsPerSource: 3 });
  });
  after(async () => running?.stop());

  it('sockets that presented a token still count toward their address total: the 7th is refused 503; another address is served', async () => {
    const device = createIdentity(Role.Device);
    const token = await authenticate(running.base, device);
    const port = Number(new URL(running.base).port);
    const head = `GET /v1/devices/${idOf(device)}/usage HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const { status, socket } = await requestOn(port, '127.0.0.51', head);
        held.push(socket);
        assert.equal(status, '200', `authenticated keep-alive socket ${i + 1}`);
      }
      const refused = await requestOn(port, '127.0.0.51', head);
      held.push(refused.socket);
      assert.equal(refused.status, '503');
      const other = await requestOn(port, '127.0.0.52', head);
      held.push(other.socket);
      assert.equal(other.status, '200');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  it('live connections of many identities from one address stop at its cap (503); another address still connects', async () => {
    const attacker = new FromAddress('127.0.0.53');
    const honest = new FromAddress('127.0.0.54');
    const open: WebSocket[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const token = await authenticate(running.base, createIdentity(Role.Viewer));
        const { status, ws } = await attacker.upgrade(running.wsBase, token);
        statuses.push(status);
        open.push(ws);
      }
      assert.deepEqual(statuses, [101, 101, 101, 503, 503]);
      const token = await authenticate(running.base, createIdentity(Role.Viewer));
      const { status, ws } = await honest.upgrade(running.wsBase, token);
      open.push(ws);
      assert.equal(status, 101);
      const { values } = await running.relay.context.metrics.admissionRejections.get();
      assert.equal(values.find((sample) => sample.labels.kind === 'source-connections')?.value, 2);
    } finally {
      for (const ws of open) ws.terminate();
      attacker.close();
      honest.close();
    }
  });
});
