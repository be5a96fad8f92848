import { randomBytes } from 'node:crypto';
import { createIdentity, EventSealer, encodeLiveMessage, formatId, Role, WireType } from '@sealcam/protocol';
import WebSocket from 'ws';
import { manifestForger } from './forged-manifests.js';
import { type Answer, send, source, tokenFrom } from './net.js';
import { outcomeOf, Tally } from './pool.js';
import type { Target } from './target.js';

/** One attacking device's run: bytes the relay accepted, and the refusal that stopped it (if any). */
export interface FloodRun {
  readonly acceptedBytes: number;
  readonly accepted: number;
  /** "507 quota", "close 4503 quota; retry-after=5", … ; null if nothing refused it within the bound. */
  readonly refusal: string | null;
}

export interface ChunkFloodScale {
  /** Attacking devices, one after another (more than 16 fill a whole store of 16 quotas). */
  readonly devices: number;
  readonly chunkBytes: number;
  /** Each device stops after offering this many bytes (the bound of the attack's loop). */
  readonly maxBytesPerDevice: number;
  /** Source addresses the devices log in and upload from, in turn (default: one each, up to 100). */
  readonly sources?: number;
}

/**
 * Attack 2: a device uploads clip chunks of one event until the relay refuses. Expected: 507 `quota`
 * for it (its fair share of the store), while others keep storing. With many devices from one
 * address: 507 `quota` once that address holds its share past the high-water mark, never a full relay.
 */
export async function chunkFlood(target: Target, scale: ChunkFloodScale): Promise<FloodRun[]> {
  const runs: FloodRun[] = [];
  for (let d = 0; d < scale.devices; d++) {
    const device = createIdentity(Role.Device);
    const from = source(100 + (d % Math.min(100, scale.sources ?? 100)));
    const token = await tokenFrom(target.base, device, from);
    const id = formatId(device.card.id);
    let acceptedBytes = 0;
    let accepted = 0;
    let refusal: string | null = null;
    let sealer = new EventSealer({ device, streamId: 'flood' });
    let index = 0;
    for (let offered = 0; offered < scale.maxBytesPerDevice; offered += scale.chunkBytes) {
      if (index === 500) {
        sealer = new EventSealer({ device, streamId: 'flood' });
        index = 0;
      }
      const chunk = sealer.sealClipChunk(randomBytes(scale.chunkBytes), false);
      const answer = await send(
        target.base,
        `/v1/devices/${id}/events/${formatId(sealer.eventId)}/chunks/${index++}`,
        { method: 'PUT', token, body: chunk, localAddress: from, timeoutMs: 60_000 },
      );
      if (answer.status === 201 || answer.status === 200) {
        acceptedBytes += chunk.length;
        accepted += 1;
      } else if (!(await waitedOut(answer))) {
        refusal = outcomeOf(answer);
        break;
      }
    }
    runs.push({ acceptedBytes, accepted, refusal });
  }
  return runs;
}

/** A 429 rate-limited answer is waited out (the attacker keeps going); true if it was one. */
async function waitedOut(answer: Answer): Promise<boolean> {
  if (answer.status !== 429 || answer.reason !== 'rate-limited') return false;
  await new Promise((resolve) => setTimeout(resolve, Math.min(5, answer.retryAfterSeconds ?? 1) * 1000));
  return true;
}

export interface ManifestFloodScale {
  /** Recipients per manifest (at most LIMITS.recipients): the manifest's size. */
  readonly recipients: number;
  /** Each path stops after offering this many bytes. */
  readonly maxBytes: number;
  /** How long the WS path waits for the relay's verdict after its last manifest. */
  readonly verdictTimeoutMs: number;
}

export interface ManifestFloodOutcome {
  readonly http: FloodRun;
  /** The live path: the relay acknowledges no manifest there, so its counts are of manifests sent. */
  readonly ws: FloodRun;
  /** HTTP statuses seen. */
  readonly httpAnswers: Tally;
}

/**
 * Attack 3: one device stores signed manifests, epoch after epoch, over HTTP; another over its
 * live connection. Expected: 507 `quota` on HTTP; on the live connection a typed close (4503
 * quota / relay-full) or an error message, never a silent drop.
 */
export async function manifestFlood(
  target: Target,
  scale: ManifestFloodScale,
): Promise<ManifestFloodOutcome> {
  const recipients = Array.from({ length: scale.recipients }, () => createIdentity(Role.Viewer).card);
  const httpAnswers = new Tally();
  // HTTP.
  const httpDevice = createIdentity(Role.Device);
  const httpManifest = manifestForger(httpDevice, recipients, 'flood');
  const httpFrom = source(150);
  const httpToken = await tokenFrom(target.base, httpDevice, httpFrom);
  const httpId = formatId(httpDevice.card.id);
  let acceptedBytes = 0;
  let accepted = 0;
  let refusal: string | null = null;
  for (let epoch = 0, offered = 0; offered < scale.maxBytes; epoch++) {
    const bytes = httpManifest(epoch);
    offered += bytes.length;
    const answer = await send(target.base, `/v1/devices/${httpId}/streams/flood/manifests/${epoch}`, {
      method: 'PUT',
      token: httpToken,
      body: bytes,
      localAddress: httpFrom,
    });
    httpAnswers.add(outcomeOf(answer));
    if (answer.status === 201 || answer.status === 200) {
      acceptedBytes += bytes.length;
      accepted += 1;
    } else if (!(await waitedOut(answer))) {
      refusal = outcomeOf(answer);
      break;
    }
  }
  const http: FloodRun = { acceptedBytes, accepted, refusal };
  // Live connection.
  const wsDevice = createIdentity(Role.Device);
  const wsManifest = manifestForger(wsDevice, recipients, 'flood');
  const wsFrom = source(151);
  const wsToken = await tokenFrom(target.base, wsDevice, wsFrom);
  const ws = new WebSocket(`${target.wsBase}/v1/live`, ['sealcam.v1', `bearer.${wsToken}`], {
    perMessageDeflate: false,
    localAddress: wsFrom,
  });
  let verdict: string | null = null;
  const closed = new Promise<void>((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const text = (data as Buffer).toString('utf8');
        if (text.includes('"error"')) verdict ??= `error ${text}`;
      }
    });
    ws.once('close', (code, reason) => {
      verdict ??= `close ${code} ${reason.toString()}`;
      resolve();
    });
    ws.once('error', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let sent = 0;
  let sentBytes = 0;
  for (let epoch = 0; sentBytes < scale.maxBytes && ws.readyState === WebSocket.OPEN && !verdict; epoch++) {
    const bytes = wsManifest(epoch);
    const message = encodeLiveMessage({
      type: WireType.LiveManifest,
      deviceId: wsDevice.card.id,
      streamId: 'flood',
      payload: bytes,
    });
    await new Promise<void>((resolve) => ws.send(message, () => resolve()));
    sent += 1;
    sentBytes += bytes.length;
    // Stay under the per-connection message rate: this attack is about bytes, not messages.
    if (sent % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!verdict) {
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, scale.verdictTimeoutMs))]);
  }
  ws.terminate();
  return {
    http,
    ws: { acceptedBytes: sentBytes, accepted: sent, refusal: verdict },
    httpAnswers,
  };
}
