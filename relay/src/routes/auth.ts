import { randomBytes } from 'node:crypto';
import {
  type DeviceId,
  formatId,
  fromBase64Url,
  parseDeviceId,
  parseViewerId,
  Role,
  SealError,
  verifyAuthProof,
} from '@sealcam/protocol/relay-safe';
import type { FastifyPluginAsync } from 'fastify';
import type { RelayContext } from '../context.js';
import { AUTH_BODY_BYTES } from '../http/body-limits.js';
import { badRequest, tooMany, unauthorized, unavailable } from '../http/errors.js';
import { sourceOf, sourceOfRequest } from '../http/source-address.js';
import { objectReply, replies } from './replies.js';
import { idSchema } from './schemas.js';

const B64URL = '^[A-Za-z0-9_-]+$';

const challengeReply = objectReply('A fresh challenge to sign into an auth proof (PROTOCOL.md §16)', {
  challenge: { type: 'string', pattern: B64URL, description: '32 random bytes, base64url' },
  origin: { type: 'string', description: 'The origin the proof must be bound to' },
  expiresAt: { type: 'integer', description: 'Unix time (ms) after which the challenge is refused' },
});

const tokenReply = objectReply('A session token for the proven identity', {
  token: {
    type: 'string',
    description: 'Send as Authorization: Bearer <token>, or subprotocol bearer.<token>',
  },
  id: { ...idSchema, description: 'The proven id' },
  role: { type: 'string', enum: ['device', 'viewer'] },
  expiresAt: { type: 'integer', description: 'Unix time (ms) when the token expires' },
});

/**
 * A device's card is what the relay verifies its uploads with, and what its viewers read. Identities
 * are free, so a device that has no access list yet (no viewers: possibly one of a stranger's many
 * self-made identities) is kept only until its token and one renewal have run out; a device with a
 * list, for the identity TTL (renewed by each login; storing a list extends it too). Viewers' cards
 * are not kept at all: nothing on the relay reads them.
 */
async function keepDeviceCard(context: RelayContext, deviceId: DeviceId, card: Uint8Array): Promise<void> {
  const { identityTtlSeconds, tokenTtlSeconds } = context.config;
  const listed = (await context.store.getAccessList(deviceId)) !== null;
  const seconds = listed ? identityTtlSeconds : Math.min(identityTtlSeconds, 2 * tokenTtlSeconds);
  await context.store.putCard(deviceId, card, seconds * 1000);
}

/** Password-less authentication: challenge, then a proof signed by the identity key, then a token. */
export const authRoutes: FastifyPluginAsync<{ context: RelayContext }> = async (app, { context }) => {
  app.post(
    '/v1/auth/challenge',
    {
      bodyLimit: AUTH_BODY_BYTES,
      schema: {
        summary: 'Get an auth challenge',
        // The route takes no body, but fastify reads one if sent: wrong media type, oversized.
        response: replies({ 200: challengeReply }, [413, 415, 429]),
      },
    },
    async (request) => {
      // The asker's own limits first: its refused attempts take nothing relay-wide.
      const source = sourceOfRequest(request, context.config);
      const perSource = await context.sourceLimit.take(source);
      if (perSource !== null) {
        context.metrics.admissionRejections.inc({ kind: 'source-rate' });
        throw tooMany(perSource, 'rate-limited', 'too many challenges from this address');
      }
      const refused = context.admission.admitChallenge(source);
      if (refused) {
        context.metrics.admissionRejections.inc({ kind: refused.kind });
        if (refused.status === 429)
          throw tooMany(refused.wait, 'rate-limited', 'this address took more than its share of handshakes');
        throw unavailable(
          'over-capacity',
          'the relay is admitting handshakes slowly; come back when Retry-After says',
          refused.wait,
          refused.kind === 'handshake' ? refused.spread : undefined,
        );
      }
      const challenge = randomBytes(32).toString('base64url');
      const ttlMs = context.config.challengeTtlSeconds * 1000;
      await context.store.putChallenge(challenge, ttlMs);
      return { challenge, origin: context.origin(), expiresAt: context.now() + ttlMs };
    },
  );

  app.post<{ Body: { challenge: string; proof: string } }>(
    '/v1/auth/token',
    {
      bodyLimit: AUTH_BODY_BYTES,
      schema: {
        summary: 'Exchange a signed auth proof for a session token',
        body: {
          type: 'object',
          required: ['challenge', 'proof'],
          additionalProperties: false,
          properties: {
            challenge: { type: 'string', pattern: B64URL, minLength: 43, maxLength: 43 },
            proof: {
              type: 'string',
              pattern: B64URL,
              minLength: 100,
              maxLength: 600,
              description: 'The auth proof (PROTOCOL.md), base64url',
            },
          },
        },
        response: replies({ 200: tokenReply }, [401, 413, 415, 429]),
      },
    },
    async (request) => {
      const { challenge, proof } = request.body;
      if (!(await context.store.takeChallenge(challenge))) {
        context.metrics.authFailures.inc({ reason: 'challenge-unknown' });
        throw unauthorized('challenge-unknown', 'challenge expired, already used, or never issued');
      }
      let card: ReturnType<typeof verifyAuthProof>;
      try {
        card = verifyAuthProof(fromBase64Url(proof), {
          origin: context.origin(),
          challenge: fromBase64Url(challenge),
          // A card seen before (same bytes) is not verified again: one Ed25519 check per login less.
          verifiedCard: (id) => context.verified.card(formatId(id)),
        });
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        context.metrics.authFailures.inc({ reason: error.code.toLowerCase() });
        throw unauthorized('proof-invalid', `auth proof refused: ${error.message}`);
      }
      if (card.role !== Role.Device && card.role !== Role.Viewer) throw badRequest('role', 'unknown role');
      const text = formatId(card.id);
      // An identity that proved itself is cached as its own. Each entry costs the asker a whole
      // login and the cache is bounded in bytes: strangers can only evict, which costs an honest
      // identity one verification more at its next login.
      if (context.verified.card(text) !== card) {
        context.metrics.verifications.inc({ kind: 'card' });
        context.verified.setCard(text, card);
      }
      const identity =
        card.role === Role.Device
          ? ({ role: 'device', id: parseDeviceId(text) } as const)
          : ({ role: 'viewer', id: parseViewerId(text) } as const);
      if (identity.role === 'device') {
        const source = sourceOfRequest(request, context.config);
        const wait = await context.newDevices.admit(source, identity.id);
        if (wait !== null) {
          context.metrics.admissionRejections.inc({ kind: 'source-new-devices' });
          throw tooMany(wait, 'too-many-new-devices', 'too many new device identities from this address');
        }
        await keepDeviceCard(context, identity.id, card.bytes);
      }
      // A device's home: what it stores with this token is also charged to this address (fair-share.ts);
      // for IPv6 the subscriber's allocation, not each of its /64s.
      const home = () => context.sourceTag(sourceOf(request.ip, context.config.ipv6HomePrefix));
      const { token, session } = context.tokens.issue(
        identity.role === 'device' ? { ...identity, home: home() } : identity,
        context.now(),
      );
      return { token, id: session.id, role: session.role, expiresAt: session.expiresAt };
    },
  );
};
