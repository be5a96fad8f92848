/**
 * The baseline: a bare `ws` forwarder with the relay's socket settings (no auth, no parsing, no
 * store). A device connection's messages go to the viewer connection with the same id.
 */
import { WebSocket, WebSocketServer } from 'ws';

const viewers = new Map<string, WebSocket>();
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 8 * 1024 * 1024,
});
server.on('connection', (ws, request) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const id = url.searchParams.get('id') ?? '';
  if (url.searchParams.get('role') === 'viewer') {
    viewers.set(id, ws);
    ws.on('close', () => viewers.delete(id));
  } else {
    ws.on('message', (data) => {
      const viewer = viewers.get(id);
      if (viewer && viewer.readyState === WebSocket.OPEN) viewer.send(data as Buffer, { binary: true });
    });
  }
});
server.on('listening', () => {
  const address = server.address();
  process.stderr.write(
    `forwarder listening on ${address && typeof address === 'object' ? address.port : address}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
