import {
  Kind,
  PROTOCOL_VERSION,
  parsePairingRouting,
  SealError,
  toBase32,
} from '@sealcam/protocol/relay-safe';
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../context.js';
import { binaryBody } from '../http/binary.js';
import { badRequest, forbidden, HttpError } from '../http/errors.js';
import { requireSelf, requireSession } from '../http/session.js';
import { deviceParams, idSchema } from './schemas.js';

const PAIRING_TTL_MS = 10 * 60_000;
/** Pairing requests waiting under one pairing id (the rightful one is usually the only one). */
const MAX_PAIRING_REQUESTS = 4;
const MAX_INBOX = 64;
const PAIRING_MESSAGE_BYTES = 4096;

const pairingParams = {
  type: 'object',
  required: ['deviceId', 'pairingId'],
  additionalProperties: false,
  properties: { deviceId: idSchema, pairingId: idSchema },
} as const;

const box = {
  pairingRequests: (deviceId: string, pairingId: string) => `pairing:${deviceId}:${pairingId}`,
  /** Per requesting viewer: only the viewer the device answered can take the response. */
  pairingResponse: (deviceId: string, pairingId: string, viewerId: string) =>
    `pairing-response:${deviceId}:${pairingId}:${viewerId}`,
  inbox: (deviceId: string) => `inbox:${deviceId}`,
};

function full(): HttpError {
  return new HttpError(429, 'mailbox-full', 'too many messages waiting for this device', 30);
}

/**
 * The relay carries pairing messages (sealed under the pairing secret) and owner statements (signed
 * by the owner, checked by the device). It checks routing ids and sizes only.
 */
export function mailboxRoutes(app: FastifyInstance, context: RelayContext): void {
  const routing = (
    bytes: Uint8Array,
    kind: typeof Kind.PairRequest | typeof Kind.PairResponse,
    params: { deviceId: string; pairingId: string },
  ) => {
    try {
      const ids = parsePairingRouting(bytes, kind);
      if (toBase32(ids.deviceId) !== params.deviceId || toBase32(ids.pairingId) !== params.pairingId) {
        throw badRequest('invalid-pairing-message', 'routing ids differ from the URL');
      }
    } catch (error) {
      if (error instanceof SealError) throw badRequest('invalid-pairing-message', error.message);
      throw error;
    }
  };

  app.post<{ Params: { deviceId: string; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/request',
    { bodyLimit: PAIRING_MESSAGE_BYTES, schema: { params: pairingParams } },
    async (request, reply) => {
      await requireSession(context, request, 'viewer');
      const bytes = binaryBody(request);
      routing(bytes, Kind.PairRequest, request.params);
      const { deviceId, pairingId } = request.params;
      // Only a device that has authenticated has a card: no mailboxes for invented device ids.
      if (!(await context.store.getCard(deviceId)))
        throw new HttpError(404, 'unknown-device', 'no such device');
      const name = box.pairingRequests(deviceId, pairingId);
      if (!(await context.store.pushMailbox(name, bytes, PAIRING_TTL_MS, MAX_PAIRING_REQUESTS))) throw full();
      context.notifier.mailboxChanged(deviceId, 'pairing');
      reply.code(202);
      return { status: 'queued' };
    },
  );

  /** The device asks only for the pairing it offered (it knows the pairing id), so nobody can crowd it out. */
  app.get<{ Params: { deviceId: string; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/requests',
    { schema: { params: pairingParams } },
    async (request) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const messages = await context.store.takeMailbox(
        box.pairingRequests(session.id, request.params.pairingId),
      );
      return { messages: messages.map((message) => Buffer.from(message).toString('base64url')) };
    },
  );

  app.put<{ Params: { deviceId: string; pairingId: string; viewerId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/response/:viewerId',
    {
      bodyLimit: PAIRING_MESSAGE_BYTES,
      schema: {
        params: {
          type: 'object',
          required: ['deviceId', 'pairingId', 'viewerId'],
          additionalProperties: false,
          properties: { deviceId: idSchema, pairingId: idSchema, viewerId: idSchema },
        },
      },
    },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      routing(bytes, Kind.PairResponse, request.params);
      const name = box.pairingResponse(session.id, request.params.pairingId, request.params.viewerId);
      if (!(await context.store.pushMailbox(name, bytes, PAIRING_TTL_MS, 1))) throw full();
      reply.code(202);
      return { status: 'queued' };
    },
  );

  app.get<{ Params: { deviceId: string; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/response',
    { schema: { params: pairingParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'viewer');
      const [message] = await context.store.takeMailbox(
        box.pairingResponse(request.params.deviceId, request.params.pairingId, session.id),
      );
      if (!message) return reply.code(204).send();
      return reply.type('application/octet-stream').send(Buffer.from(message));
    },
  );

  app.post<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/inbox',
    { bodyLimit: PAIRING_MESSAGE_BYTES, schema: { params: deviceParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'viewer');
      const { deviceId } = request.params;
      if ((await context.access(session, deviceId)) !== 'owner') {
        throw forbidden('not-owner', 'only the device owner sends grants and revocations');
      }
      const bytes = binaryBody(request);
      const kind = bytes[1];
      if (bytes[0] !== PROTOCOL_VERSION || (kind !== Kind.Grant && kind !== Kind.Revocation)) {
        throw badRequest('invalid-statement', 'the inbox takes grants and revocations only');
      }
      if (
        !(await context.store.pushMailbox(box.inbox(deviceId), bytes, context.retention().ttlMs, MAX_INBOX))
      )
        throw full();
      context.notifier.mailboxChanged(deviceId, 'inbox');
      reply.code(202);
      return { status: 'queued' };
    },
  );

  app.get<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/inbox',
    { schema: { params: deviceParams } },
    async (request) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const messages = await context.store.takeMailbox(box.inbox(session.id));
      return { messages: messages.map((message) => Buffer.from(message).toString('base64url')) };
    },
  );
}
