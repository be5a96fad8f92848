import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeLiveMessage,
  type Identity,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  parseManifest,
  toBase64Url,
  WireType,
} from '@sealcam/protocol';
import { liveProtocols, liveUrl, RelaySession } from '@sealcam/relay-client';
import WebSocket, { WebSocketServer } from 'ws';

export interface ServedObject {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: Uint8Array;
}

export interface RelayFront {
  /** Point a viewer here (its camera's relayUrl) instead of at the relay. */
  readonly base: string;
  /** Every HTTP answer the relay gave and this front handed to the viewer, in order. */
  readonly served: ServedObject[];
  /** Every binary live message the relay sent and this front handed to the viewer, in order. */
  readonly live: Uint8Array[];
  /** Epochs of the key manifests among `live` (public fields, parsed without opening anything). */
  manifestEpochs(): number[];
  /**
   * Records a stream's live frames for `ms` as this front's session (no viewer involved): what a
   * relay keeps to replay later.
   */
  recordLive(deviceId: string, streamId: string, ms: number): Promise<Uint8Array[]>;
  /**
   * From now on (null: no more), viewers' live connections get these frames, one every 66 ms,
   * instead of the relay's own frames; manifests and clock proofs still pass. A relay replaying
   * old video as live.
   */
  replayLive(frames: Uint8Array[] | null): void;
  close(): Promise<void>;
}

/**
 * A front for a real relay, for a viewer pointed at it (its camera's relayUrl): whoever connects here
 * is "authenticated" locally (any proof is taken), and every request and the live WebSocket are
 * forwarded to the relay under a RelaySession of `session`, and every answer handed over is recorded.
 *  - `session` = the viewer's own identity: a transparent tap (what exactly was this viewer served?).
 *  - `session` = another identity the relay authorises (the camera's owner): the relay's access check
 *    is out of the picture. A revoked viewer pointed here is served exactly what the owner is served —
 *    the genuine current manifests, envelopes and frames — and only the cryptography can refuse it.
 * Loopback only; the relay itself is unchanged.
 */
export interface RelayFrontOptions {
  /**
   * What to hand over instead of the relay's answer to an HTTP request (undefined: the answer as
   * is), as a relay whose cache mixed up lookups would: `served` holds what was handed over before.
   */
  readonly answer?: (
    path: string,
    bytes: Uint8Array,
    served: readonly ServedObject[],
  ) => Uint8Array | undefined;
  /** Requests answered 202 here and never forwarded (a relay that drops them: a revocation, say). */
  readonly drop?: (method: string, path: string) => boolean;
  /** Viewer control messages (JSON text) never forwarded to the relay (clock questions, say). */
  readonly dropControl?: (message: { op: string }) => boolean;
}

export async function startRelayFront(
  relayBase: string,
  session: Identity,
  options: RelayFrontOptions = {},
): Promise<RelayFront> {
  const served: ServedObject[] = [];
  const live: Uint8Array[] = [];
  let replay: Uint8Array[] | null = null;
  const upstreamSession = new RelaySession(relayBase, session, { maxResponseBytes: 64 * 1024 * 1024 });

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = request.url ?? '/';
    const reply = (status: number, payload: Uint8Array | string, type: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(payload);
    };
    if (path === '/v1/auth/challenge')
      return reply(
        200,
        JSON.stringify({ challenge: toBase64Url(randomBytes(32)), expiresAt: Date.now() + 60_000 }),
        'application/json',
      );
    if (path === '/v1/auth/token')
      return reply(
        200,
        JSON.stringify({
          token: 'borrowed',
          id: 'borrowed',
          role: 'viewer',
          expiresAt: Date.now() + 900_000,
        }),
        'application/json',
      );
    if (options.drop?.(request.method ?? 'GET', path)) return reply(202, '{}', 'application/json');
    try {
      const upstream = await upstreamSession.fetch(request.method ?? 'GET', path, {
        body: body.length > 0 ? body : null,
        contentType: request.headers['content-type'],
      });
      const answered = new Uint8Array(await upstream.arrayBuffer());
      const bytes = options.answer?.(path, answered, served) ?? answered;
      served.push({ method: request.method ?? 'GET', path, status: upstream.status, bytes });
      reply(upstream.status, bytes, upstream.headers.get('content-type') ?? 'application/octet-stream');
    } catch (error) {
      reply(502, JSON.stringify({ error: 'front', message: String(error) }), 'application/json');
    }
  });

  const sockets = new WebSocketServer({ noServer: true, handleProtocols: () => LIVE_SUBPROTOCOL });
  server.on('upgrade', (request, socket, head) => {
    if (request.url !== LIVE_PATH) {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (downstream) => {
      const pending: string[] = [];
      let upstream: WebSocket | null = null;
      const closeBoth = () => {
        downstream.terminate();
        upstream?.terminate();
      };
      downstream.on('message', (data, isBinary) => {
        if (isBinary) return; // viewers send only JSON control messages
        const text = String(data);
        if (options.dropControl?.(JSON.parse(text) as { op: string })) return;
        if (upstream?.readyState === WebSocket.OPEN) upstream.send(text);
        else pending.push(text);
      });
      const frames = replay;
      let replayTimer: NodeJS.Timeout | undefined;
      // The replay starts once the viewer has a manifest to open the frames with.
      const startReplay = () => {
        if (!frames || replayTimer) return;
        let next = 0;
        replayTimer = setInterval(() => {
          const frame = frames[next++];
          if (!frame) clearInterval(replayTimer);
          else if (downstream.readyState === WebSocket.OPEN) downstream.send(frame, { binary: true });
        }, 66);
      };
      downstream.on('close', () => clearInterval(replayTimer));
      downstream.on('close', closeBoth);
      downstream.on('error', closeBoth);
      void liveProtocols(upstreamSession).then((protocols) => {
        if (downstream.readyState !== WebSocket.OPEN) return;
        upstream = new WebSocket(liveUrl(relayBase), protocols, { perMessageDeflate: false });
        upstream.on('open', () => {
          for (const text of pending.splice(0)) upstream?.send(text);
        });
        upstream.on('message', (data, isBinary) => {
          if (isBinary) {
            const bytes = new Uint8Array(data as Buffer);
            if (frames && bytes[0] === WireType.LiveFrame) return; // the replay stands in for them
            live.push(bytes);
            downstream.send(bytes, { binary: true });
            if (bytes[0] === WireType.LiveManifest) startReplay();
          } else downstream.send(String(data));
        });
        upstream.on('close', closeBoth);
        upstream.on('error', closeBoth);
      }, closeBoth);
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    live,
    manifestEpochs() {
      return live.flatMap((bytes) => {
        const message = decodeLiveMessage(bytes);
        return message.type === WireType.LiveManifest ? [parseManifest(message.payload).epoch] : [];
      });
    },
    async recordLive(deviceId, streamId, ms) {
      const recorded: Uint8Array[] = [];
      const socket = new WebSocket(liveUrl(relayBase), await liveProtocols(upstreamSession), {
        perMessageDeflate: false,
      });
      socket.on('message', (data, isBinary) => {
        if (isBinary && (data as Buffer)[0] === WireType.LiveFrame)
          recorded.push(new Uint8Array(data as Buffer));
      });
      await once(socket, 'open');
      socket.send(JSON.stringify({ op: 'subscribe', deviceId, streamId }));
      await new Promise((resolve) => setTimeout(resolve, ms));
      socket.close();
      return recorded;
    },
    replayLive(frames) {
      replay = frames;
    },
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A copy of a viewer's state file (the same identity, keys and remembered manifest chains) whose
 * cameras all point at `relayUrl`: the same viewer, reaching its camera by another path.
 */
export function redirectedViewerState(statePath: string, relayUrl: string): string {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { cameras: { relayUrl: string }[] };
  for (const camera of state.cameras) camera.relayUrl = relayUrl;
  const path = join(mkdtempSync(join(tmpdir(), 'sealcam-redirected-')), 'viewer.json');
  writeFileSync(path, JSON.stringify(state), { mode: 0o600 });
  return path;
}

/** The front handed over manifests, all of epochs after `epochBefore`, among them the owner's `epochAfter`. */
export function assertOnlyNewEpochsServed(front: RelayFront, epochBefore: number, epochAfter: number): void {
  const epochsServed = front.manifestEpochs();
  assert.ok(epochsServed.length > 0, 'the front handed over a manifest');
  assert.ok(
    epochsServed.every((epoch) => epoch > epochBefore),
    `epochs served ${epochsServed}, before ${epochBefore}`,
  );
  assert.ok(epochsServed.includes(epochAfter), `epochs served ${epochsServed}, owner's ${epochAfter}`);
}
