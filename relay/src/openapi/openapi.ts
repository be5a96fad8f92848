import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger';
import { BEARER_SUBPROTOCOL_PREFIX, LIVE_PATH, LIVE_SUBPROTOCOL } from '@sealcam/protocol/relay-safe';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import type { RouteAuth } from '../auth/auth-plugin.js';
import { liveUpgradePath } from './live-upgrade-doc.js';

const AUTH_TEXT: Record<RouteAuth, string> = {
  any: 'Needs a session token of a device or a viewer.',
  device: 'Needs a device session token.',
  viewer: 'Needs a viewer session token.',
  self: 'Needs the session token of the device named by `deviceId`.',
};

const DESCRIPTION = `The sealcam relay's HTTP API, generated from the routes' own schemas (relay/src/routes).
Every body the relay stores or serves is sealed end to end (PROTOCOL.md): it checks signatures, routing
ids and sizes only. Errors are \`{ "error": <reason>, "message": <text> }\`, with the reasons of
PROTOCOL.md §16 (the \`error\` enums below list the reasons each status can carry); 429 and 503 carry
Retry-After. A path that is no route answers 404 \`not-found\`. Authentication: POST /v1/auth/challenge,
sign it into an auth proof, POST /v1/auth/token, then send \`Authorization: Bearer <token>\` (HTTP) or the
WebSocket subprotocols \`${LIVE_SUBPROTOCOL}\` and \`${BEARER_SUBPROTOCOL_PREFIX}<token>\` (GET ${LIVE_PATH}). See docs/RELAY-API.md.`;

/** Binary uploads are validated as any bytes; the document shows them as binary strings. */
function documentedBody(body: unknown): unknown {
  const content = (body as { content?: Record<string, { schema: { description?: string } }> } | undefined)
    ?.content;
  if (!content) return body;
  return {
    content: Object.fromEntries(
      Object.entries(content).map(([type, { schema }]) => [
        type,
        {
          schema: {
            type: 'string',
            format: 'binary',
            ...(schema.description ? { description: schema.description } : {}),
          },
        },
      ]),
    ),
  };
}

function transform({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }) {
  const auth = route.config?.auth;
  const documented: Record<string, unknown> = { ...schema };
  if (schema.body) documented.body = documentedBody(schema.body);
  if (auth) {
    documented.security = [{ session: [] }];
    documented.description = AUTH_TEXT[auth];
  }
  return { schema: documented as FastifySchema, url };
}

export const SWAGGER_OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: { title: 'sealcam relay', version: '1', description: DESCRIPTION },
    components: {
      securitySchemes: {
        session: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token from POST /v1/auth/token',
        },
      },
    },
  },
  transform,
  // Shared schemas (the error bodies) keep their $id as their component name.
  refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
};

/** Collects the routes' schemas; `app.swagger()` then returns the OpenAPI document. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, SWAGGER_OPTIONS);
}

/** The relay's OpenAPI document: the routes' schemas plus the live WebSocket handshake. */
export function openApiDocument(app: FastifyInstance): Record<string, unknown> {
  const document = app.swagger() as unknown as { paths?: Record<string, unknown> };
  return { ...document, paths: { ...document.paths, ...liveUpgradePath() } };
}
