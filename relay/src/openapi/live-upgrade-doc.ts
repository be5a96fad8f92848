import {
  BEARER_SUBPROTOCOL_PREFIX,
  CONTROL_MESSAGE_BYTES,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  RETRY_SPREAD_HEADER,
} from '@sealcam/protocol/relay-safe';
import { errorReply, retryAfterHeader, retrySpreadHeader } from '../routes/replies.js';

const { description: spreadDescription, ...spreadSchema } = retrySpreadHeader[RETRY_SPREAD_HEADER];

/** An error reply of the upgrade (written by live/upgrade.ts, not by a fastify route) in OpenAPI form. */
function upgradeError(status: 400 | 401 | 429 | 503) {
  const { description } = errorReply(status);
  return {
    description,
    ...(status === 503 || status === 429
      ? {
          headers: {
            'retry-after': {
              description: retryAfterHeader['retry-after'].description,
              schema: { type: 'integer', minimum: 0 },
            },
            ...(status === 503
              ? {
                  [RETRY_SPREAD_HEADER]: { description: spreadDescription, schema: spreadSchema },
                }
              : {}),
          },
        }
      : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/Error${status}` } } },
  };
}

const BEARER = `${BEARER_SUBPROTOCOL_PREFIX}<token>`;

/**
 * The live WebSocket is not a fastify route (the HTTP server's upgrade event takes it), so its
 * handshake is documented here by hand, next to nothing else.
 */
export function liveUpgradePath() {
  return {
    [LIVE_PATH]: {
      get: {
        summary: 'Open the live WebSocket (devices publish, viewers subscribe)',
        description: `A WebSocket upgrade offering the subprotocols \`${LIVE_SUBPROTOCOL}\` and \`${BEARER}\` (the session token: tokens never sit in URLs). The relay answers with \`${LIVE_SUBPROTOCOL}\`. A device sends binary live messages (PROTOCOL.md) and one JSON control message, \`renew\`; a viewer sends JSON control messages and receives live messages and control messages; a connection is closed at its token's expiry unless renewed in band with a fresh token (\`renew\`, PROTOCOL.md §16.2); close codes and reasons are in PROTOCOL.md §16 and docs/RELAY-API.md. A viewer WebSocket message is limited to ${CONTROL_MESSAGE_BYTES} bytes, a device's to maxFrameBytes + 1024. The token is checked first (401), then the WebSocket handshake headers (400), then admission: the identity's own upgrade rate (429) and connection cap (503), then the relay's connection cap and fair-share handshake bucket (503, or 429 for an address over its share).`,
        parameters: [
          { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', enum: ['websocket'] } },
          {
            name: 'Sec-WebSocket-Protocol',
            in: 'header',
            required: true,
            description: `\`${LIVE_SUBPROTOCOL}, ${BEARER}\``,
            schema: { type: 'string' },
          },
        ],
        responses: {
          101: { description: `Switched to the WebSocket protocol \`${LIVE_SUBPROTOCOL}\`` },
          400: {
            ...upgradeError(400),
            description:
              'Not a valid WebSocket handshake: a bad Upgrade, Sec-WebSocket-Key, Sec-WebSocket-Version, Sec-WebSocket-Protocol or Sec-WebSocket-Extensions header (reason invalid-request)',
          },
          401: upgradeError(401),
          429: upgradeError(429),
          503: upgradeError(503),
        },
      },
    },
  };
}
