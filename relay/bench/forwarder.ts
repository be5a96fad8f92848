/**
 * The baseline: a bare `ws` forwarder with the relay's socket settings (no auth, no parsing, no
 * store). A device connection's messages go to the viewer connections with the same id.
 */
import { WebSocket, WebSocketServer } from 'ws';

const viewers = new Map<string, Set<WebSocket>>();
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
    let set = viewers.get(id);
    if (!set) {
      set = new Set();
      viewers.set(id, set);
    }
    set.add(ws);
    ws.on('close', () => set.delete(ws));
  } else {
    ws.on('message', (data) => {
      for (const viewer of viewers.get(id) ?? [])
        if (viewer.readyState === WebSocket.OPEN) viewer.send(data as Buffer, { binary: true });
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
