import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createIdentity, type Identity, Role, ready } from '@sealcam/protocol';
import { formatId } from '@sealcam/protocol/relay-safe';
import { authenticate } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf } from './support/world.js';

await ready();

const KIB = 1024;

/**
 * Starts a thumbnail upload from `localAddress` declaring `declared` bytes and sending `sent` of
 * them; resolves with the status line's code once the relay answers (the socket is kept), or
 * 'held' if it has not answered within `waitMs` (the relay is reading the body).
 */
function startUpload(
  running: RunningRelay,
  device: Identity,
  token: string,
  localAddress: string,
  declared: number,
  sent: number,
  waitMs = 1500,
): Promise<{ status: string; socket: Socket }> {
  return new Promise((resolve) => {
    const port = Number(new URL(running.base).port);
    const path = `/v1/devices/${idOf(device)}/events/${formatId(randomBytes(16))}/thumbnail`;
    const socket = createConnection({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write(
        `PUT ${path} HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      if (sent > 0) socket.write(Buffer.alloc(sent, 7));
    });
    let text = '';
    const timer = setTimeout(() => resolve({ status: 'held', socket }), waitMs);
    socket.on('data', (data) => {
      text += String(data);
      if (text.includes('\r\n')) {
        clearTimeout(timer);
        resolve({ status: text.split(' ')[1] ?? '', socket });
      }
    });
    socket.on('error', () => {});
  });
}

describe('upload bodies are admitted before they are read', () => {
  let running: RunningRelay;
  let device: Identity;
  let token: string;
  const sockets: Socket[] = [];
  before(async () => {
    running = await startInProcessRelay({
      deviceQuotaBytes: 1024 * KIB,
      uploadBytesInFlight: 2048 * KIB,
      uploadBytesInFlightPerSource: 1024 * KIB,
    });
    device = createIdentity(Role.Device);
    token = await authenticate(running.base, device);
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await running?.stop();
  });

  it('a declared size the device quota cannot take is refused 507 quota before the body is sent', async () => {
    const { status, socket } = await startUpload(running, device, token, '127.0.0.61', 2048 * KIB, 0, 60_000);
    sockets.push(socket);
    assert.equal(status, '507');
  });

  it('bodies in flight: an address over its share gets 429, the relay over its budget 503; a finished body gives its bytes back', async () => {
    const first = await startUpload(running, device, token, '127.0.0.62', 900 * KIB, 100 * KIB);
    sockets.push(first.socket);
    assert.equal(first.status, 'held', 'the relay reads the first body');
    const sameAddress = await startUpload(running, device, token, '127.0.0.62', 300 * KIB, 0, 60_000);
    sockets.push(sameAddress.socket);
    assert.equal(sameAddress.status, '429');
    const second = await startUpload(running, device, token, '127.0.0.63', 900 * KIB, 100 * KIB);
    sockets.push(second.socket);
    assert.equal(second.status, 'held');
    const overRelay = await startUpload(running, device, token, '127.0.0.64', 600 * KIB, 0, 60_000);
    sockets.push(overRelay.socket);
    assert.equal(overRelay.status, '503');
    // The first upload ends (its client gives up): its bytes are free again for its address.
    first.socket.destroy();
    let again = { status: '429' };
    for (let attempt = 0; attempt < 50 && again.status === '429'; attempt++) {
      const next = await startUpload(running, device, token, '127.0.0.62', 300 * KIB, 0);
      sockets.push(next.socket);
      again = next;
      if (again.status === '429') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.notEqual(again.status, '429');
    assert.notEqual(again.status, '503');
  });
});
