import { randomBytes } from 'node:crypto';
import { formatId, fromBase64Url, Role, SealError, verifyAuthProof } from '@sealcam/protocol/relay-safe';
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../context.js';
import { badRequest, tooMany, unauthorized, unavailable } from '../http/errors.js';

const B64URL = '^[A-Za-z0-9_-]+$';

/** Password-less authentication: challenge, then a proof signed by the identity key, then a token. */
export function authRoutes(app: FastifyInstance, context: RelayContext): void {
  app.post(
    '/v1/auth/challenge',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              challenge: { type: 'string' },
              origin: { type: 'string' },
              expiresAt: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request) => {
      const perSource = await context.sourceLimit.take(request.ip);
      if (perSource !== null) {
        context.metrics.admissionRejections.inc({ kind: 'source-rate' });
        throw tooMany(perSource);
      }
      const wait = await context.admission.admitChallenge();
      if (wait !== null) {
        context.metrics.admissionRejections.inc({ kind: 'handshake' });
        throw unavailable(
          'over-capacity',
          'the relay is admitting handshakes slowly; retry later with jitter',
          wait,
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
      schema: {
        body: {
          type: 'object',
          required: ['challenge', 'proof'],
          additionalProperties: false,
          properties: {
            challenge: { type: 'string', pattern: B64URL, minLength: 43, maxLength: 43 },
            proof: { type: 'string', pattern: B64URL, minLength: 100, maxLength: 600 },
          },
        },
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
        });
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        context.metrics.authFailures.inc({ reason: error.code.toLowerCase() });
        throw unauthorized('proof-invalid', `auth proof refused: ${error.message}`);
      }
      if (card.role !== Role.Device && card.role !== Role.Viewer) throw badRequest('role', 'unknown role');
      const id = formatId(card.id);
      await context.store.putCard(id, card.bytes);
      const role = card.role === Role.Device ? 'device' : 'viewer';
      const { token, session } = context.tokens.issue(id, role, context.now());
      return { token, id, role, expiresAt: session.expiresAt };
    },
  );
}
