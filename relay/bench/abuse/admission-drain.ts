import { createIdentity, type Identity, Role } from '@sealcam/protocol';
import WebSocket from 'ws';
import { send, source, tokenFrom } from './net.js';
import { outcomeOf, pool, Tally } from './pool.js';
import type { Target } from './target.js';

export interface AdmissionDrainScale {
  /** Connections the attacker holds open first (its per-identity cap, default 8). */
  readonly held: number;
  /** Further upgrades it attempts with the same identity (each should be refused). */
  readonly refusedUpgrades: number;
  /** Sources (127.0.0.180 …) sending challenges, and challenges per source. */
  readonly challengeSources: number;
  readonly challengesPerSource: number;
  readonly concurrency: number;
}

export interface AdmissionDrainOutcome {
  /** Answers to the attacker's upgrades beyond its held ones ("503 over-capacity", …). */
  readonly upgrades: Tally;
  readonly challenges: Tally;
  /** The honest viewer's live connects (from 127.0.0.1) while the attack ran: "101" or the refusal. */
  readonly honestConnects: Tally;
  /** The honest viewer's challenges while the attack ran. */
  readonly honestChallenges: Tally;
}

/** Opens a live connection; resolves with its status (101 or the refusal) and the socket. */
function upgrade(
  target: Target,
  token: string,
  localAddress?: string,
): Promise<{ status: string; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${target.wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`], {
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
      ...(localAddress ? { localAddress } : {}),
    });
    ws.on('error', () => resolve({ status: 'error', ws }));
    ws.once('open', () => resolve({ status: '101', ws }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: String(response.statusCode), ws });
      response.resume();
      ws.terminate();
    });
  });
}

/**
 * Attack 6: one identity hammers WebSocket upgrades beyond its connection cap, and challenges come
 * from many loopback addresses at once. Expected: refusals count against the one who made them,
 * so the honest viewer's live connects and challenges (from another address) keep succeeding.
 */
export async function admissionDrain(
  target: Target,
  honestViewer: Identity,
  scale: AdmissionDrainScale,
): Promise<AdmissionDrainOutcome> {
  const attacker = createIdentity(Role.Viewer);
  const from = source(170);
  const token = await tokenFrom(target.base, attacker, from);
  const held: WebSocket[] = [];
  for (let i = 0; i < scale.held; i++) held.push((await upgrade(target, token, from)).ws);
  // The honest viewer from an address of its own (127.0.0.2): the honest pair's device logs in from
  // 127.0.0.1 every round, and one address's fair share under pressure counts both.
  const honestFrom = source(2);
  const honestToken = await tokenFrom(target.base, honestViewer, honestFrom);
  const upgrades = new Tally();
  const challenges = new Tally();
  const honestConnects = new Tally();
  const honestChallenges = new Tally();
  let attacking = true;
  const honest = (async () => {
    while (attacking) {
      const { status, ws } = await upgrade(target, honestToken, honestFrom);
      honestConnects.add(status);
      ws.terminate();
      honestChallenges.add(
        outcomeOf(
          await send(target.base, '/v1/auth/challenge', { method: 'POST', localAddress: honestFrom }),
        ),
      );
      // An honest viewer reconnects rarely: once a second here, which its fair share under pressure
      // (at least one handshake a second per address) always admits.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  await Promise.all([
    pool(scale.refusedUpgrades, scale.concurrency, async () => {
      const { status, ws } = await upgrade(target, token, from);
      upgrades.add(status);
      if (status === '101') held.push(ws);
    }),
    ...Array.from({ length: scale.challengeSources }, (_, s) =>
      pool(scale.challengesPerSource, 2, async () => {
        const answer = await send(target.base, '/v1/auth/challenge', {
          method: 'POST',
          localAddress: source(180 + s),
        });
        challenges.add(outcomeOf(answer));
      }),
    ),
  ]);
  attacking = false;
  await honest;
  for (const ws of held) ws.terminate();
  return { upgrades, challenges, honestConnects, honestChallenges };
}
