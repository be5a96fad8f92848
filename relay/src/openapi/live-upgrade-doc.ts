import { LIVE_PATH, SUBPROTOCOL } from '../live/upgrade.js';
import { errorReply, retryAfterHeader } from '../routes/replies.js';

/** An error reply of the upgrade (written by live/upgrade.ts, not by a fastify route) in OpenAPI form. */
function upgradeError(status: 401 | 503) {
  const { description } = errorReply(status);
  return {
    description,
    ...(status === 503
      ? {
          headers: {
            'retry-after': {
              description: retryAfterHeader['retry-after'].description,
              schema: { type: 'integer', minimum: 0 },
            },
          },
        }
      : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/Error${status}` } } },
  };
}

/**
 * The live WebSocket is not a fastify route (the HTTP server's upgrade event takes it), so its
 * handshake is documented here by hand, next to nothing else.
 */
export function liveUpgradePath() {
  return {
    [LIVE_PATH]: {
      get: {
        summary: 'Open the live WebSocket (devices publish, viewers subscribe)',
        description: `A WebSocket upgrade offering the subprotocols \`${SUBPROTOCOL}\` and \`bearer.<token>\` (the session token: tokens never sit in URLs). The relay answers with \`${SUBPROTOCOL}\`. A device sends binary live messages (PROTOCOL.md); a viewer sends JSON control messages of at most 4 KiB and receives live messages and control messages; close codes and reasons are in PROTOCOL.md §16 and docs/RELAY-API.md. A viewer WebSocket message is limited to 4096 bytes, a device's to maxFrameBytes + 1024.`,
        parameters: [
          { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', enum: ['websocket'] } },
          {
            name: 'Sec-WebSocket-Protocol',
            in: 'header',
            required: true,
            description: `\`${SUBPROTOCOL}, bearer.<token>\``,
            schema: { type: 'string' },
          },
        ],
        responses: {
          101: { description: `Switched to the WebSocket protocol \`${SUBPROTOCOL}\`` },
          401: upgradeError(401),
          503: upgradeError(503),
        },
      },
    },
  };
}
