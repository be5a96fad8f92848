import cors from '@fastify/cors';
import { RETRY_SPREAD_HEADER } from '@sealcam/protocol/relay-safe';
import type { FastifyInstance } from 'fastify';

/** Origins as configured: each an exact `scheme://host[:port]`, nothing else. */
export function parseAppOrigins(list: string): string[] {
  const origins = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new Error(`SEALCAM_APP_ORIGINS: "${origin}" is not an origin`);
    }
    if (!/^https?:$/.test(parsed.protocol) || parsed.origin !== origin)
      throw new Error(`SEALCAM_APP_ORIGINS: "${origin}" must be exactly scheme://host[:port]`);
  }
  return origins;
}

/**
 * Lets web apps served from other origins (listed) call the API: CORS answers for exactly those
 * origins, never a wildcard, never credentials (the API authenticates with bearer tokens only). The
 * live WebSocket needs no CORS; it authenticates with a token as from any client.
 */
export async function appOriginRoutes(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  await app.register(cors, {
    origin: [...origins],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after', RETRY_SPREAD_HEADER],
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}
