import { createConnection, type Socket } from 'node:net';

/**
 * A keep-alive socket from `localAddress` that sends one request and resolves with the status line
 * of its answer (or '' if the relay closed it without one); the socket stays open.
 */
export function requestOn(
  port: number,
  localAddress: string,
  head: string,
): Promise<{ status: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port, localAddress }, () => socket.write(head));
    let text = '';
    socket.on('data', (data) => {
      text += String(data);
      if (text.includes('\r\n\r\n')) resolve({ status: text.split(' ')[1] ?? '', socket });
    });
    socket.on('error', () => resolve({ status: '', socket }));
    socket.on('close', () => resolve({ status: text.split(' ')[1] ?? '', socket }));
    socket.setTimeout(60_000, () => socket.destroy());
  });
}
