import { ID_TEXT_PATTERN, STREAM_ID_TEXT_PATTERN } from '@sealcam/protocol/relay-safe';

/** JSON schemas of request parts shared by routes; the id grammars are the protocol's (ids.ts). */
export const idSchema = { type: 'string', pattern: ID_TEXT_PATTERN } as const;
export const streamSchema = { type: 'string', pattern: STREAM_ID_TEXT_PATTERN } as const;

function params<P extends Record<string, unknown>>(properties: P) {
  return {
    type: 'object',
    required: Object.keys(properties),
    additionalProperties: false,
    properties,
  } as const;
}

export const deviceParams = params({ deviceId: idSchema });
export const streamParams = params({ deviceId: idSchema, streamId: streamSchema });
export const eventParams = params({ deviceId: idSchema, eventId: idSchema });
export const chunkParams = params({
  deviceId: idSchema,
  eventId: idSchema,
  index: { type: 'integer', minimum: 0, maximum: 511 },
});
export const pairingParams = params({ deviceId: idSchema, pairingId: idSchema });
export const pairingResponseParams = params({ deviceId: idSchema, pairingId: idSchema, viewerId: idSchema });

/** Manifest routes: the epoch is an integer on upload and an integer or "latest" on reads. */
export function manifestParams(epoch: Record<string, unknown>) {
  return params({ deviceId: idSchema, streamId: streamSchema, epoch });
}
