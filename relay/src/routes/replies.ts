import {
  RELAY_REASON_LIST,
  RETRY_SPREAD_HEADER,
  type RelayReason,
  reasonSpec,
} from '@sealcam/protocol/relay-safe';
import type { FastifyInstance } from 'fastify';

/**
 * Response schemas. They document every reply and guard a blind relay: fastify serializes a JSON
 * reply through its schema, so a field that is not listed never leaves.
 */

const STATUS_TEXT: Record<number, string> = {
  400: 'The request does not match the route, or the uploaded object does not parse or verify',
  401: 'No valid session (or auth proof)',
  403: 'Not allowed for this session',
  404: 'No such object',
  409: 'A different object is stored under this name',
  413: 'The body is larger than the route accepts',
  415: 'The body is not application/octet-stream',
  429: 'Too many requests; wait for Retry-After seconds',
  500: 'An error inside the relay',
  503: 'The relay cannot serve now; retry after Retry-After seconds, with jitter',
  507: 'The relay or the device is out of storage',
};

/** Reasons that travel with an HTTP status, from the registry. */
export function reasonsFor(status: number): RelayReason[] {
  return RELAY_REASON_LIST.filter((reason) => (reasonSpec(reason).http ?? []).includes(status));
}

export const retryAfterHeader = {
  'retry-after': { type: 'integer', minimum: 0, description: 'Seconds to wait before retrying (add jitter)' },
} as const;

/** On a 503 over-capacity from the handshake bucket: the return is scheduled (PROTOCOL.md §16.2 step 6). */
export const retrySpreadHeader = {
  [RETRY_SPREAD_HEADER]: {
    type: 'integer',
    minimum: 1,
    maximum: 60,
    description:
      'Sent when the relay scheduled the return (handshake admission): come back within this many seconds after Retry-After, without further jitter or backoff',
  },
} as const;

/** The error body of one status, as a shared schema (`ErrorNNN`): its reasons come from the registry. */
function errorBody(status: number) {
  return {
    $id: `Error${status}`,
    type: 'object',
    required: ['error', 'message'],
    additionalProperties: false,
    properties: {
      error: { type: 'string', enum: reasonsFor(status), description: 'Reason (PROTOCOL.md §16)' },
      message: { type: 'string', description: 'Human-readable detail; clients act on `error` only' },
    },
  } as const;
}

/** Every status an error reply can have (each has a shared body schema). */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 429, 500, 503, 507] as const;

/** Adds the shared error body schemas; call before routes that use `errorReply` are added. */
export function addErrorSchemas(app: FastifyInstance): void {
  for (const status of ERROR_STATUSES) app.addSchema(errorBody(status));
}

export function errorReply(status: (typeof ERROR_STATUSES)[number]) {
  return {
    description: STATUS_TEXT[status] ?? 'Error',
    $ref: `Error${status}#`,
    ...(status === 503
      ? { headers: { ...retryAfterHeader, ...retrySpreadHeader } }
      : status === 429 || status === 507
        ? { headers: retryAfterHeader }
        : {}),
  } as const;
}

/** Error replies of the given statuses. */
export function errorReplies(
  statuses: readonly (typeof ERROR_STATUSES)[number][],
): Record<number, ReturnType<typeof errorReply>> {
  return Object.fromEntries(statuses.map((status) => [status, errorReply(status)]));
}

/** Statuses any /v1 route can answer: a request that fails its schema, an internal error, storage down. */
const ALWAYS = [400, 500, 503] as const;

/** The response schemas of a route: its successes, the error statuses it can give, and ALWAYS. */
export function replies(
  success: Record<number, unknown>,
  errors: readonly (typeof ERROR_STATUSES)[number][] = [],
) {
  return { ...errorReplies([...ALWAYS, ...errors]), ...success };
}

/** A JSON object reply with exactly these properties (all required unless listed in `optional`). */
export function objectReply(
  description: string,
  properties: Record<string, unknown>,
  optional: readonly string[] = [],
) {
  return {
    description,
    type: 'object',
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
    properties,
  } as const;
}

/** Sealed bytes, served as they were stored. */
export function binaryReply(description: string) {
  return {
    description,
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  } as const;
}

/**
 * A binary upload. Validation accepts any bytes (the route parses them); the OpenAPI transform
 * (openapi.ts) documents the media type as binary.
 */
export function binaryRequest(description: string) {
  return { content: { 'application/octet-stream': { schema: { description } } } } as const;
}

/** `{ "status": ... }` acknowledgements. */
export function statusReply(description: string, values: readonly string[]) {
  return objectReply(description, { status: { type: 'string', enum: values } });
}
