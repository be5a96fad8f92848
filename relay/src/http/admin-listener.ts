import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { RelayContext } from '../context.js';
import { adminRoutes } from '../routes/admin.js';
import { addErrorSchemas } from '../routes/replies.js';
import { installErrorHandler } from './error-handler.js';
import { unauthorized } from './errors.js';
import { isLoopbackHost } from './loopback.js';

/** The operator token is compared as a secret: long enough not to be guessed. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** Raised when the admin listener cannot listen; its `code` is the socket error's (EADDRINUSE, …). */
export class AdminListenError extends Error {
  readonly code: string | undefined;
  constructor(cause: unknown) {
    super(`admin listener: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

export interface AdminListener {
  readonly app: FastifyInstance;
  /** Listens on SEALCAM_ADMIN_HOST:SEALCAM_ADMIN_PORT; returns the listener's origin (http://host:port). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * What an outsider must not see (every event commit in the counters, who is online, bitrate, the
 * fault seam) is served here, apart from the public listener. Loopback by default; another address
 * only with an operator token, which every request must then carry.
 */
export function assertAdminExposure(config: RelayContext['config']): void {
  const token = config.adminToken;
  if (token !== null && token.length < ADMIN_TOKEN_MIN_LENGTH) {
    throw new Error(`SEALCAM_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`);
  }
  if (token === null && !isLoopbackHost(config.adminHost)) {
    throw new Error(
      `SEALCAM_ADMIN_HOST=${config.adminHost} is not a loopback address: set SEALCAM_ADMIN_TOKEN (metrics and detailed health reveal activity)`,
    );
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export function createAdminListener(context: RelayContext, draining: () => boolean): AdminListener {
  const { config } = context;
  assertAdminExposure(config);
  const app = Fastify({
    loggerInstance: context.log,
    // Scrapes every few seconds would drown the request log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
  });
  installErrorHandler(app, {
    metrics: context.metrics,
    backendsReady: () => context.store.isReady() && context.bus.isReady(),
    retryAfterSeconds: config.retryAfterSeconds,
  });
  addErrorSchemas(app);
  if (config.adminToken !== null) {
    const expected = digest(`Bearer ${config.adminToken}`);
    app.addHook('onRequest', async (request) => {
      const given = request.headers.authorization;
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        throw unauthorized(
          'missing-token',
          'the admin listener needs Authorization: Bearer <SEALCAM_ADMIN_TOKEN>',
        );
      }
    });
  }
  void app.register(adminRoutes, { context, draining });
  return {
    app,
    async listen() {
      try {
        await app.listen({ host: config.adminHost, port: config.adminPort });
      } catch (error) {
        throw new AdminListenError(error);
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.adminPort;
      const host = config.adminHost.includes(':') ? `[${config.adminHost}]` : config.adminHost;
      return `http://${host}:${port}`;
    },
    close: () => app.close(),
  };
}
