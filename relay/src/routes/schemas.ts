/** JSON schemas shared by routes. Every route declares params, query and body schemas. */
export const ID_PATTERN = '^[a-z2-7]{26}$';
export const STREAM_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;
export const streamSchema = { type: 'string', pattern: STREAM_PATTERN } as const;

export const deviceParams = {
  type: 'object',
  required: ['deviceId'],
  additionalProperties: false,
  properties: { deviceId: idSchema },
} as const;

export const streamParams = {
  type: 'object',
  required: ['deviceId', 'streamId'],
  additionalProperties: false,
  properties: { deviceId: idSchema, streamId: streamSchema },
} as const;

export const eventParams = {
  type: 'object',
  required: ['deviceId', 'eventId'],
  additionalProperties: false,
  properties: { deviceId: idSchema, eventId: idSchema },
} as const;

export const chunkParams = {
  type: 'object',
  required: ['deviceId', 'eventId', 'index'],
  additionalProperties: false,
  properties: { deviceId: idSchema, eventId: idSchema, index: { type: 'integer', minimum: 0, maximum: 511 } },
} as const;

export const binaryBody = { description: 'application/octet-stream' } as const;

export const errorResponse = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/** Manifest routes: the epoch is an integer on upload and an integer or "latest" on reads. */
export function manifestParams(epoch: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['deviceId', 'streamId', 'epoch'],
    additionalProperties: false,
    properties: { deviceId: idSchema, streamId: streamSchema, epoch },
  } as const;
}
