import type { Writable } from 'node:stream';
import { CONTROL_MESSAGE_BYTES, LIVE_SUBPROTOCOL, ready } from '@sealcam/protocol/relay-safe';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { accessControl } from './access.js';
import { authPlugin } from './auth/auth-plugin.js';
import { type Session, TOKEN_LIFETIME_JITTER, TokenIssuer, tokenKey } from './auth/tokens.js';
import { sessionVerifier } from './auth/verify-session.js';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local-bus.js';
import { createRedisBus } from './bus/redis-bus.js';
import { verifiedCards } from './cards.js';
import { addressQuotaOf, deviceQuotaOf, originOf, type RelayConfig } from './config/config.js';
import type { RelayContext } from './context.js';
import { assertAdminExposure, createAdminListener } from './http/admin-listener.js';
import { Admission, KeyedRateLimit } from './http/admission.js';
import { appOriginRoutes, parseAppOrigins } from './http/app-origins.js';
import { DEFAULT_BODY_BYTES } from './http/body-limits.js';
import { guardDeclaredStatuses } from './http/declared-statuses.js';
import { installErrorHandler } from './http/error-handler.js';
import { NewDeviceLimit } from './http/new-devices.js';
import { SocketGuard } from './http/socket-guard.js';
import { sourceTagger } from './http/source-address.js';
import { parseTrustProxy, trustFunction } from './http/trusted-proxies.js';
import { UploadBudget } from './http/upload-budget.js';
import { webViewerRoutes } from './http/web-viewer.js';
import { LiveHub } from './live/hub.js';
import { answerBadHandshakes, handleUpgrades } from './live/upgrade.js';
import { registerOpenApi } from './openapi/openapi.js';
import { connectionCaps, raiseFdLimit } from './ops/fd-limit.js';
import { createMetrics } from './ops/metrics.js';
import { kernelSomaxconn } from './ops/somaxconn.js';
import { authRoutes } from './routes/auth.js';
import { deviceCard } from './routes/device-card.js';
import { deviceUploadRoutes } from './routes/device-uploads.js';
import { mailboxRoutes } from './routes/mailboxes.js';
import { FAULT_WARNING, opsRoutes } from './routes/ops.js';
import { readRoutes } from './routes/reads.js';
import { addErrorSchemas } from './routes/replies.js';
import { ownHome } from './store/fair-share.js';
import { faultyStore } from './store/fault-store.js';
import { instrumentStore } from './store/instrumented-store.js';
import { MemoryStore } from './store/memory-store.js';
import { checkRedisDurability, logDurability } from './store/redis-durability.js';
import { createRedisStore, maxMemoryWarning } from './store/redis-store.js';
import type { Retention, Store } from './store/store.js';
import { VerifiedCache } from './verified-cache.js';

export interface Relay {
  readonly app: FastifyInstance;
  readonly hub: LiveHub;
  readonly context: RelayContext;
  /**
   * Listens (public, then admin) and returns the bound port, the origin clients must use and the
   * admin listener's origin. A failure of the admin listener is an AdminListenError.
   */
  start(): Promise<{ port: number; origin: string; adminOrigin: string }>;
  /** Graceful: stop accepting, tell connections to come back later, drain, close the store. */
  close(): Promise<void>;
}

export interface RelayOptions {
  /** Where pino writes JSON log lines (default stdout). */
  readonly logStream?: Writable;
  readonly random?: () => number;
}

async function openBackends(
  config: RelayConfig,
  warn: (message: string) => void,
): Promise<{ store: Store; bus: Bus }> {
  if (config.store === 'memory')
    return { store: new MemoryStore({ maxBytes: config.storeMaxBytes }), bus: new LocalBus() };
  const options = { url: config.redisUrl, keyPrefix: config.redisKeyPrefix };
  const [store, bus] = await Promise.allSettled([
    createRedisStore({ ...options, maxBytes: config.storeMaxBytes }),
    createRedisBus(options),
  ]);
  if (store.status === 'fulfilled' && bus.status === 'fulfilled') {
    const warning = maxMemoryWarning(config.storeMaxBytes, store.value.maxMemory);
    if (warning) warn(warning);
    return { store: store.value, bus: bus.value };
  }
  // Close whichever connected, then report the failure.
  await Promise.allSettled([
    store.status === 'fulfilled' ? store.value.close() : null,
    bus.status === 'fulfilled' ? bus.value.close() : null,
  ]);
  throw (store.status === 'rejected' ? store.reason : (bus as PromiseRejectedResult).reason) as Error;
}

export async function createRelay(config: RelayConfig, options: RelayOptions = {}): Promise<Relay> {
  await ready();
  assertAdminExposure(config);
  // One trust function for HTTP (fastify's request.ip), WebSocket upgrades and the socket caps.
  const trust = trustFunction(parseTrustProxy(config.trustProxy));
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]', 'req.headers.cookie'],
        remove: true,
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // Small unless a route says otherwise (body-limits.ts): an unauthenticated body is never megabytes.
    bodyLimit: DEFAULT_BODY_BYTES,
    // Unknown fields are refused, not silently dropped.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    trustProxy: trust,
    // Slow or idle clients cannot hold sockets for long (slowloris): headers within
    // headersTimeoutSeconds (checked every second), the whole request within requestTimeoutSeconds.
    http: {
      headersTimeout: Math.min(config.headersTimeoutSeconds, config.requestTimeoutSeconds) * 1000,
      connectionsCheckingInterval: 1000,
    },
    requestTimeout: config.requestTimeoutSeconds * 1000,
    connectionTimeout: config.requestTimeoutSeconds * 1000,
    keepAliveTimeout: 10_000,
  });
  // Sockets stay below the open-file limit (raised to its hard limit first) minus a reserve.
  const fdLimit = raiseFdLimit();
  const caps = connectionCaps(fdLimit.soft, config.maxConnections, config.fdReserve);
  if (caps.lowered) {
    app.log.warn(
      { configured: config.maxConnections, lowered: caps.webSockets, fdLimit: fdLimit.soft },
      'SEALCAM_MAX_CONNECTIONS does not fit under the open-file limit minus SEALCAM_FD_RESERVE: lowered',
    );
  }
  if (fdLimit.raise.startsWith('failed') || fdLimit.raise === 'unknown-limit')
    app.log.warn({ fdLimit }, 'the open-file limit could not be raised to its hard limit');
  app.server.maxConnections = caps.server;
  const metrics = createMetrics();
  const guard = new SocketGuard({
    perSource: config.unauthenticatedSocketsPerSource,
    ipv6Prefix: config.ipv6SourcePrefix,
    retryAfterSeconds: config.retryAfterSeconds,
    totalPerSource: config.socketsPerSource,
    onRefused: (cap) =>
      metrics.admissionRejections.inc({ kind: cap === 'total' ? 'source-sockets-total' : 'source-sockets' }),
  });
  // A trusted proxy's sockets carry many clients: not capped by its address (socket-guard.ts).
  guard.attach(app.server, (address) => trust !== false && trust(address, 0));
  metrics.observed.unauthenticatedSockets = () => guard.unauthenticated;
  app.server.on('clientError', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.socketTimeouts.inc({ phase: 'request' });
  });
  const backends = await openBackends(config, (message) => app.log.warn(message));
  metrics.sources.storeStats = () => backends.store.stats();
  if (config.store === 'redis') logDurability(app.log, await checkRedisDurability(config.redisUrl));
  let store = instrumentStore(backends.store, metrics);
  const random = options.random ?? Math.random;
  const faultRate = config.faultInjection === 'mixup' ? config.faultRate : 0;
  if (faultRate > 0) store = faultyStore(store, faultRate, metrics, random);
  if (config.faultInjection !== 'off') {
    // The seam exists for the drill on this machine: never on a relay reachable from elsewhere.
    if (!/^(127\.|::1$|localhost$)/.test(config.host)) {
      throw new Error('SEALCAM_FAULT_INJECTION is refused unless SEALCAM_HOST is a loopback address');
    }
    app.log.warn({ fault: config.faultInjection, faultRate }, FAULT_WARNING);
  }
  const { key, generated } = tokenKey(config.tokenSecret);
  if (generated && config.store === 'redis') {
    app.log.warn(
      'SEALCAM_TOKEN_SECRET is not set: tokens from this process are not accepted by other relay processes',
    );
  }
  let origin = config.publicOrigin ?? '';
  let draining = false;
  const verified = new VerifiedCache(config.cacheMaxBytes);
  metrics.observed.verifiedCacheBytes = () => verified.bytes;
  const card = verifiedCards(store, verified, metrics);
  const access = accessControl(store, card, verified, metrics);
  const retention = {
    ttlMs: config.retentionSeconds * 1000,
    quotaBytes: deviceQuotaOf(config),
    homeQuotaBytes: addressQuotaOf(config),
  };
  const retentionFor = (session?: Session): Retention =>
    session?.role === 'device' ? { ...retention, home: session.home ?? ownHome(session.id) } : retention;

  const hub = new LiveHub({
    config,
    store,
    bus: backends.bus,
    metrics,
    log: app.log,
    access,
    deviceCard: (deviceId) => deviceCard(context, deviceId),
    retention: retentionFor,
    faultRate,
    liveDelayMs: config.faultInjection === 'delay-live' ? config.faultDelayMs : 0,
    random,
    verifySession: (token) => context.verifySession(token),
  });
  // Lifetimes spread over their last tenth: tokens minted together in a storm do not expire together.
  const tokens = new TokenIssuer(key, config.tokenTtlSeconds * 1000, TOKEN_LIFETIME_JITTER);
  const context: RelayContext = {
    config,
    verified,
    store,
    bus: backends.bus,
    tokens,
    verifySession: sessionVerifier(tokens, metrics, () => context.now()),
    admission: new Admission({ ...config, maxConnections: caps.webSockets }),
    requestLimit: new KeyedRateLimit(config.requestsPerSecond),
    sourceLimit: new KeyedRateLimit(config.challengesPerSecondPerSource),
    newDevices: new NewDeviceLimit(config.newDevicesPerSourcePerHour),
    uploads: new UploadBudget({
      total: config.uploadBytesInFlight,
      perSource: config.uploadBytesInFlightPerSource,
    }),
    sourceTag: sourceTagger(key),
    metrics,
    log: app.log,
    notifier: hub,
    origin: () => origin,
    retention: retentionFor,
    now: () => Date.now(),
    card,
    access,
  };

  const admin = createAdminListener(context, () => draining);
  installErrorHandler(app, {
    metrics,
    backendsReady: () => store.isReady() && backends.bus.isReady(),
    retryAfterSeconds: config.retryAfterSeconds,
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  addErrorSchemas(app);
  // The document collects every route registered after it; the auth plugin adds its error replies first.
  await app.register(authPlugin, {
    verify: context.verifySession,
    requestLimit: context.requestLimit,
    metrics,
  });
  // A request that presented a valid token makes its socket count as authenticated.
  app.addHook('preValidation', async (request) => {
    if (request.session) guard.authenticated(request.raw.socket);
  });
  guardDeclaredStatuses(app, metrics);
  if (config.appOrigins) await appOriginRoutes(app, parseAppOrigins(config.appOrigins));
  await registerOpenApi(app);
  await app.register(authRoutes, { context });
  await app.register(deviceUploadRoutes, { context });
  await app.register(readRoutes, { context });
  await app.register(mailboxRoutes, { context });
  await app.register(opsRoutes, { context, draining: () => draining });
  if (config.webRoot) await webViewerRoutes(app, config.webRoot);

  const socketServer = (maxPayload: number) => {
    const server = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload,
      handleProtocols: (protocols) => (protocols.has(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : false),
    });
    answerBadHandshakes(server);
    return server;
  };
  // Devices send frames; viewers only small JSON control messages, refused beyond their limit at the frame level.
  const sockets = {
    device: socketServer(config.maxFrameBytes + 1024),
    viewer: socketServer(CONTROL_MESSAGE_BYTES),
  };
  app.server.on(
    'upgrade',
    handleUpgrades(context, sockets, hub, () => draining, guard, trust),
  );

  return {
    app,
    hub,
    context,
    async start() {
      await app.listen({ host: config.host, port: config.port, backlog: config.listenBacklog });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      origin = originOf(config, port);
      const adminOrigin = await admin.listen();
      app.log.info(
        {
          origin,
          adminOrigin,
          store: store.kind,
          bus: backends.bus.kind,
          fdLimit: { soft: fdLimit.soft, hard: fdLimit.hard, raise: fdLimit.raise },
          maxSockets: caps.server,
          maxWebSockets: caps.webSockets,
          listenBacklog: { asked: config.listenBacklog, somaxconn: kernelSomaxconn() },
        },
        'relay listening',
      );
      return { port, origin, adminOrigin };
    },
    async close() {
      draining = true;
      hub.close(config.retryAfterSeconds);
      const grace = new Promise<void>((resolve) =>
        setTimeout(resolve, config.shutdownGraceSeconds * 1000).unref(),
      );
      await Promise.race([app.close(), grace]);
      for (const server of [sockets.device, sockets.viewer])
        for (const client of server.clients) client.terminate();
      await admin.close().catch(() => undefined);
      await Promise.allSettled([backends.store.close(), backends.bus.close()]);
    },
  };
}
