import { homedir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { WebSocketFactory } from '../sdk/relay-connection.js';
import { Viewer } from '../sdk/viewer.js';
import { FileKeyStore } from './file-key-store.js';

export { FileKeyStore } from './file-key-store.js';

export const DEFAULT_VIEWER_STATE = join(homedir(), '.sealcam-viewer', 'viewer.json');

/** A viewer in Node: keys in a 0600 file, `ws` for the live WebSocket (Node 20 has none built in). */
export function openNodeViewer(path = DEFAULT_VIEWER_STATE): Promise<Viewer> {
  return Viewer.open({ store: new FileKeyStore(path), WebSocket: WebSocket as unknown as WebSocketFactory });
}

export const nodeWebSocket = WebSocket as unknown as WebSocketFactory;
export { type AppHost, type AppHostOptions, appCsp, BUILT_WEB_APP, startAppHost } from './app-host.js';
export { type CompressedSizes, precompress } from './precompressed.js';
export {
  loadReleaseKey,
  type ReleaseKey,
  readSignedRelease,
  signRelease,
  type WebRelease,
} from './web-release.js';
