import type { DeviceId, ViewerId } from '@sealcam/protocol/relay-safe';
import {
  Kind,
  PROTOCOL_VERSION,
  parsePairingRouting,
  SealError,
  toBase32,
} from '@sealcam/protocol/relay-safe';
import type { FastifyPluginAsync } from 'fastify';
import { sessionOf } from '../auth/auth-plugin.js';
import type { RelayContext } from '../context.js';
import { binaryBody } from '../http/binary.js';
import { badRequest, forbidden, insufficientStorage, tooMany } from '../http/errors.js';
import { sourceOfRequest } from '../http/source-address.js';
import type { MailboxPush } from '../store/store.js';
import {
  INBOX_POOL,
  inboxBounds,
  MAILBOX_LIMITS,
  PAIRING_REQUEST,
  PAIRING_RESPONSE,
  pairingRequestBounds,
} from './mailbox-bounds.js';
import { binaryReply, binaryRequest, objectReply, replies, statusReply } from './replies.js';
import { deviceParams, pairingParams, pairingResponseParams } from './schemas.js';

const PAIRING_MESSAGE_BYTES = MAILBOX_LIMITS.messageBytes;

const box = {
  pairingRequests: (deviceId: string, pairingId: string) => `pairing:${deviceId}:${pairingId}`,
  /** Per requesting viewer: only the viewer the device answered can take the response. */
  pairingResponse: (deviceId: string, pairingId: string, viewerId: string) =>
    `pairing-response:${deviceId}:${pairingId}:${viewerId}`,
  inbox: (deviceId: string) => `inbox:${deviceId}`,
};

/** Throws the 429 for a push that was not queued. */
function queuedOrRefused(result: MailboxPush): void {
  if (result === 'queued') return;
  if (result === 'sender-full')
    throw tooMany(60, 'mailbox-full', 'too many pairing requests from this viewer or address; retry later');
  throw tooMany(30, 'mailbox-full', 'too many messages waiting for this device');
}

/** Throws the refusal for an owner statement that was not queued. */
function inboxQueuedOrRefused(result: MailboxPush): void {
  if (result === 'queued') return;
  if (result === 'sender-full')
    throw tooMany(3600, 'mailbox-full', 'too many owner statements from this owner or address; retry later');
  if (result === 'pool-full')
    throw insufficientStorage(
      'relay-full',
      'the relay holds as many owner statements as it can; retry later',
      60,
    );
  throw tooMany(30, 'mailbox-full', 'too many messages waiting for this device');
}

const queued = replies(
  { 202: statusReply('Queued for the device or viewer', ['queued']) },
  [401, 403, 413, 415, 429],
);

const messagesReply = replies(
  {
    200: objectReply('The waiting messages, oldest first; taking them empties the mailbox', {
      messages: {
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z0-9_-]*$' },
        description: 'base64url',
      },
    }),
  },
  [401, 403],
);

/**
 * The relay carries pairing messages (sealed under the pairing secret) and owner statements (signed
 * by the owner, checked by the device). It checks routing ids and sizes only.
 */
export const mailboxRoutes: FastifyPluginAsync<{ context: RelayContext }> = async (app, { context }) => {
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

  app.post<{ Params: { deviceId: DeviceId; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/request',
    {
      bodyLimit: PAIRING_MESSAGE_BYTES,
      config: { auth: 'viewer' },
      schema: {
        summary: 'A viewer leaves a sealed pairing request for a device',
        params: pairingParams,
        body: binaryRequest('The sealed pairing request (PROTOCOL.md), at most 4096 bytes'),
        response: queued,
      },
    },
    async (request, reply) => {
      const bytes = binaryBody(request);
      routing(bytes, Kind.PairRequest, request.params);
      const { deviceId, pairingId } = request.params;
      const known = (await context.store.getCard(deviceId)) !== null;
      // No mailboxes for invented device ids, and no way to tell them from real ones: an unknown
      // device's request is charged to its sender and answered like any other, but not stored.
      const bounds = pairingRequestBounds({
        deviceId,
        viewerId: sessionOf(request).id,
        source: sourceOfRequest(request, context.config),
        chargeOnly: !known,
      });
      const name = box.pairingRequests(deviceId, pairingId);
      queuedOrRefused(await context.store.pushMailbox(name, bytes, bounds, context.now()));
      if (known) context.notifier.mailboxChanged(deviceId, 'pairing');
      reply.code(202);
      return { status: 'queued' };
    },
  );

  /** The device asks only for the pairing it offered (it knows the pairing id), so nobody can crowd it out. */
  app.get<{ Params: { deviceId: DeviceId; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/requests',
    {
      config: { auth: 'self' },
      schema: {
        summary: 'The device takes the pairing requests left under its pairing id',
        params: pairingParams,
        response: messagesReply,
      },
    },
    async (request) => {
      const session = sessionOf(request);
      // The box it polls becomes its group's protected box: a flood of other pairing ids evicts
      // everything else first (mailbox-bounds.ts).
      const messages = await context.store.takeMailbox(
        box.pairingRequests(session.id, request.params.pairingId),
        context.now(),
        { name: PAIRING_REQUEST.group(session.id), protectMs: PAIRING_REQUEST.ttlMs },
      );
      return { messages: messages.map((message) => Buffer.from(message).toString('base64url')) };
    },
  );

  app.put<{ Params: { deviceId: DeviceId; pairingId: string; viewerId: ViewerId } }>(
    '/v1/pairing/:deviceId/:pairingId/response/:viewerId',
    {
      bodyLimit: PAIRING_MESSAGE_BYTES,
      config: { auth: 'self' },
      schema: {
        summary: 'The device leaves its sealed pairing response for the requesting viewer',
        params: pairingResponseParams,
        body: binaryRequest('The sealed pairing response (PROTOCOL.md), at most 4096 bytes'),
        response: queued,
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const bytes = binaryBody(request);
      routing(bytes, Kind.PairResponse, request.params);
      const name = box.pairingResponse(session.id, request.params.pairingId, request.params.viewerId);
      queuedOrRefused(
        await context.store.pushMailbox(name, bytes, PAIRING_RESPONSE.bounds(session.id), context.now()),
      );
      reply.code(202);
      return { status: 'queued' };
    },
  );

  app.get<{ Params: { deviceId: DeviceId; pairingId: string } }>(
    '/v1/pairing/:deviceId/:pairingId/response',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The viewer takes the pairing response the device left for it',
        params: pairingParams,
        response: replies(
          {
            200: binaryReply('The sealed pairing response'),
            204: { description: 'No response waiting yet: poll again', type: 'null' },
          },
          [401, 403],
        ),
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const { deviceId, pairingId } = request.params;
      const [message] = await context.store.takeMailbox(
        box.pairingResponse(deviceId, pairingId, session.id),
        context.now(),
        { name: PAIRING_RESPONSE.group(deviceId) },
      );
      if (!message) return reply.code(204).send();
      return reply.type('application/octet-stream').send(Buffer.from(message));
    },
  );

  app.post<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/inbox',
    {
      bodyLimit: PAIRING_MESSAGE_BYTES,
      config: { auth: 'viewer' },
      schema: {
        summary: "The device's owner leaves a signed grant, revocation or sealed name change for the device",
        params: deviceParams,
        body: binaryRequest('A signed grant, revocation or name change (PROTOCOL.md §8), at most 4096 bytes'),
        response: replies(
          { 202: statusReply('Queued for the device', ['queued']) },
          [401, 403, 413, 415, 429, 507],
        ),
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const { deviceId } = request.params;
      if ((await context.access(session, deviceId)) !== 'owner') {
        throw forbidden('not-owner', 'only the device owner sends grants, revocations and name changes');
      }
      const bytes = binaryBody(request);
      const kind = bytes[1];
      if (
        bytes[0] !== PROTOCOL_VERSION ||
        (kind !== Kind.Grant && kind !== Kind.Revocation && kind !== Kind.CameraName)
      ) {
        throw badRequest('invalid-statement', 'the inbox takes grants, revocations and name changes only');
      }
      const bounds = inboxBounds({
        ownerId: session.id,
        source: sourceOfRequest(request, context.config),
        ttlMs: context.retention().ttlMs,
        storeMaxBytes: context.config.storeMaxBytes,
      });
      inboxQueuedOrRefused(
        await context.store.pushMailbox(box.inbox(deviceId), bytes, bounds, context.now()),
      );
      context.notifier.mailboxChanged(deviceId, 'inbox');
      reply.code(202);
      return { status: 'queued' };
    },
  );

  app.get<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/inbox',
    {
      config: { auth: 'self' },
      schema: {
        summary: 'The device takes the grants, revocations and name changes waiting in its inbox',
        params: deviceParams,
        response: messagesReply,
      },
    },
    async (request) => {
      const session = sessionOf(request);
      const messages = await context.store.takeMailbox(
        box.inbox(session.id),
        context.now(),
        undefined,
        INBOX_POOL,
      );
      return { messages: messages.map((message) => Buffer.from(message).toString('base64url')) };
    },
  );
};
