import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Access, createAccessList, createIdentity, formatId, LIMITS, Role } from '@sealcam/protocol';
import { send, source, tokenFrom } from './net.js';
import { outcomeOf, pool, Tally } from './pool.js';
import type { Target } from './target.js';

export interface AccessListScale {
  /** Self-made devices, each storing a full access list (LIMITS.accessListEntries entries). */
  readonly devices: number;
  /** Loopback sources the devices log in from (127.0.0.10 …). */
  readonly sources: number;
  readonly concurrency: number;
}

export interface AccessListOutcome {
  /** What storing each device's access list got ("201", "507 quota", …). */
  readonly stored: Tally;
  /** What the unlisted viewer's reads (one per device) got after waiting out rate limits ("403 no-grant", …). */
  readonly reads: Tally;
}

/**
 * Attack 1: many self-made devices each store the largest access list the protocol allows (none
 * lists the attacker's viewer); one unlisted viewer then reads every device's card and access list.
 * A relay that verifies and caches a list before checking membership grows by each list read.
 */
export async function accessListFlood(target: Target, scale: AccessListScale): Promise<AccessListOutcome> {
  const stored = new Tally();
  const reads = new Tally();
  const deviceIds: string[] = [];
  await pool(scale.devices, scale.concurrency, async (index) => {
    const device = createIdentity(Role.Device);
    const from = source(10 + (index % scale.sources));
    let token: string;
    try {
      token = await tokenFrom(target.base, device, from);
    } catch {
      stored.add('no-token');
      return;
    }
    const list = createAccessList({
      device,
      version: 1,
      issuedAt: Date.now(),
      entries: Array.from({ length: LIMITS.accessListEntries }, () => ({
        viewerId: randomBytes(16),
        access: Access.Viewer,
      })),
    });
    const id = formatId(device.card.id);
    // A per-source or per-identity rate limit is waited out: the attacker wants every list stored.
    let answer = await send(target.base, `/v1/devices/${id}/access-list`, {
      method: 'PUT',
      token,
      body: list,
      localAddress: from,
    });
    for (let retry = 0; retry < 10 && answer.status === 429 && answer.reason === 'rate-limited'; retry++) {
      await sleep(Math.min(5, answer.retryAfterSeconds ?? 1) * 1000);
      answer = await send(target.base, `/v1/devices/${id}/access-list`, {
        method: 'PUT',
        token,
        body: list,
        localAddress: from,
      });
    }
    stored.add(outcomeOf(answer));
    deviceIds.push(id);
  });
  const reader = createIdentity(Role.Viewer);
  const from = source(9);
  const token = await tokenFrom(target.base, reader, from);
  // One read per device (its card or its access list, alternately): each makes the relay decide
  // whether the viewer is listed. The reader's own rate limit is waited out, so every read arrives.
  await pool(deviceIds.length, 4, async (index) => {
    const what = index % 2 === 0 ? 'card' : 'access-list';
    const path = `/v1/devices/${deviceIds[index]}/${what}`;
    let answer = await send(target.base, path, { token, localAddress: from });
    for (let retry = 0; retry < 20 && answer.status === 429 && answer.reason === 'rate-limited'; retry++) {
      await sleep(Math.min(5, answer.retryAfterSeconds ?? 1) * 1000 * (0.5 + Math.random()));
      answer = await send(target.base, path, { token, localAddress: from });
    }
    reads.add(outcomeOf(answer));
  });
  return { stored, reads };
}
