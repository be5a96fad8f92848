import { randomBytes } from 'node:crypto';
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
  /** What the unlisted viewer's reads of cards and access lists got ("403 no-grant", …). */
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
    const answer = await send(target.base, `/v1/devices/${id}/access-list`, {
      method: 'PUT',
      token,
      body: list,
      localAddress: from,
    });
    stored.add(outcomeOf(answer));
    deviceIds.push(id);
  });
  const reader = createIdentity(Role.Viewer);
  const from = source(9);
  const token = await tokenFrom(target.base, reader, from);
  await pool(deviceIds.length * 2, scale.concurrency, async (index) => {
    const id = deviceIds[index >> 1]!;
    const what = index % 2 === 0 ? 'card' : 'access-list';
    reads.add(outcomeOf(await send(target.base, `/v1/devices/${id}/${what}`, { token, localAddress: from })));
  });
  return { stored, reads };
}
