/**
 * Every relay option: environment variable, type, default and meaning. relay/README.md is generated
 * from the same list by hand-copying; relay/test/readme.test.ts checks that the README lists each one.
 */
export interface OptionSpec {
  readonly env: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  readonly default: string | number | boolean | null;
  readonly description: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
}

export const OPTIONS = {
  host: { env: 'SEALCAM_HOST', type: 'string', default: '127.0.0.1', description: 'Address to listen on.' },
  port: {
    env: 'SEALCAM_PORT',
    type: 'integer',
    default: 8080,
    minimum: 0,
    maximum: 65535,
    description: 'TCP port (0 = any free port).',
  },
  publicOrigin: {
    env: 'SEALCAM_PUBLIC_ORIGIN',
    type: 'string',
    default: null,
    description:
      'Origin clients use to reach the relay (auth proofs are bound to it). Default http://<host>:<port>; set it behind a load balancer, the same on every node.',
  },
  store: {
    env: 'SEALCAM_STORE',
    type: 'string',
    default: 'memory',
    enum: ['memory', 'redis'],
    description: 'Storage backend.',
  },
  redisUrl: {
    env: 'SEALCAM_REDIS_URL',
    type: 'string',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis URL when store = redis; also used for cross-process fan-out.',
  },
  redisKeyPrefix: {
    env: 'SEALCAM_REDIS_PREFIX',
    type: 'string',
    default: 'sealcam:',
    description: 'Prefix of every Redis key (share one Redis between deployments).',
  },
  storeMaxBytes: {
    env: 'SEALCAM_STORE_MAX_BYTES',
    type: 'integer',
    default: 268_435_456,
    minimum: 1_048_576,
    description:
      'Bytes the store may hold (both stores): every stored byte is charged to an identity; above 90% an identity over its fair share gets 507 quota, beyond it everyone 507 relay-full. Redis: keep maxmemory above this plus headroom (warned at start).',
  },
  retentionSeconds: {
    env: 'SEALCAM_RETENTION_SECONDS',
    type: 'integer',
    default: 604_800,
    minimum: 60,
    description: 'How long events, manifests and keyframes are kept.',
  },
  identityTtlSeconds: {
    env: 'SEALCAM_IDENTITY_TTL_SECONDS',
    type: 'integer',
    default: 604_800,
    minimum: 3600,
    description:
      "How long a device's card and access list are kept after it last authenticated (or stored the list); at least the token lifetime. A device without a list keeps its card two token lifetimes; viewer cards are not kept.",
  },
  deviceQuotaBytes: {
    env: 'SEALCAM_DEVICE_QUOTA_BYTES',
    type: 'integer',
    default: null,
    // A few objects at least: each is charged its length plus OBJECT_OVERHEAD_BYTES (2 KiB).
    minimum: 8192,
    description:
      'Bytes one device may store (events, manifests, keyframes, access list). Default storeMaxBytes / 16; above storeMaxBytes / 2 the relay does not start.',
  },
  addressQuotaBytes: {
    env: 'SEALCAM_ADDRESS_QUOTA_BYTES',
    type: 'integer',
    default: null,
    minimum: 8192,
    description:
      'Bytes the devices of one source address (IPv6: its /64; the address each logged in from) may store together. Default storeMaxBytes / 8; above storeMaxBytes / 2 the relay does not start.',
  },
  tokenSecret: {
    env: 'SEALCAM_TOKEN_SECRET',
    type: 'string',
    default: null,
    description:
      'HMAC key for session tokens, at least 32 bytes as hex or base64. Required (and the same) on every node behind one load balancer; random per process when absent.',
  },
  tokenTtlSeconds: {
    env: 'SEALCAM_TOKEN_TTL_SECONDS',
    type: 'integer',
    default: 900,
    minimum: 30,
    maximum: 86_400,
    description: 'Session token lifetime.',
  },
  challengeTtlSeconds: {
    env: 'SEALCAM_CHALLENGE_TTL_SECONDS',
    type: 'integer',
    default: 60,
    minimum: 5,
    maximum: 600,
    description: 'Auth challenge lifetime.',
  },
  maxConnections: {
    env: 'SEALCAM_MAX_CONNECTIONS',
    type: 'integer',
    default: 20_000,
    minimum: 1,
    description: 'WebSocket connections per process; beyond, new ones get 503 + Retry-After.',
  },
  handshakeRate: {
    env: 'SEALCAM_HANDSHAKE_RATE',
    type: 'integer',
    default: 500,
    minimum: 1,
    description: 'Admission: handshakes (auth + WebSocket upgrades) per second per process, steady state.',
  },
  handshakeBurst: {
    env: 'SEALCAM_HANDSHAKE_BURST',
    type: 'integer',
    default: 1000,
    minimum: 1,
    description:
      'Admission: handshakes allowed at once (the size of each token bucket, at least the rate), refilled at SEALCAM_HANDSHAKE_RATE per second.',
  },
  retryAfterSeconds: {
    env: 'SEALCAM_RETRY_AFTER_SECONDS',
    type: 'integer',
    default: 5,
    minimum: 1,
    maximum: 600,
    description: 'Back-off hint sent when over capacity (clients add jitter).',
  },
  requestsPerSecond: {
    env: 'SEALCAM_REQUESTS_PER_SECOND',
    type: 'integer',
    default: 100,
    minimum: 1,
    description: 'HTTP requests per second per identity (burst 2x); beyond, 429.',
  },
  wsMessagesPerSecond: {
    env: 'SEALCAM_WS_MESSAGES_PER_SECOND',
    type: 'integer',
    default: 600,
    minimum: 1,
    description: 'WebSocket messages per second per connection (burst 2x); beyond, close 4429.',
  },
  challengesPerSecondPerSource: {
    env: 'SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE',
    type: 'integer',
    default: 20,
    minimum: 1,
    description: 'Auth challenges per second per client address (burst 2x); beyond, 429 + Retry-After.',
  },
  trustProxy: {
    env: 'SEALCAM_TRUST_PROXY',
    type: 'string',
    default: 'off',
    description:
      'Proxies whose X-Forwarded-For is believed, for every per-source limit: off; a hop count N (the client address is the one N hops from the right: N proxies that append always stand in front); or a comma-separated list of proxy addresses/CIDRs (the rightmost address not in it). "true" is refused at start.',
  },
  viewerMessagesPerSecond: {
    env: 'SEALCAM_VIEWER_MESSAGES_PER_SECOND',
    type: 'integer',
    default: 20,
    minimum: 1,
    description: 'Control messages per second per viewer connection (burst 2x); beyond, close 4429.',
  },
  connectionsPerIdentity: {
    env: 'SEALCAM_CONNECTIONS_PER_IDENTITY',
    type: 'integer',
    default: 8,
    minimum: 1,
    description: 'WebSocket connections one identity may hold open at once; beyond, 503 + Retry-After.',
  },
  cacheMaxBytes: {
    env: 'SEALCAM_CACHE_MAX_BYTES',
    type: 'integer',
    default: 33_554_432,
    minimum: 65_536,
    description:
      'Bytes of the verified caches (identity cards, access-list verdicts) together; least recently used beyond.',
  },
  upgradesPerSecondPerIdentity: {
    env: 'SEALCAM_UPGRADES_PER_SECOND_PER_IDENTITY',
    type: 'integer',
    default: 10,
    minimum: 1,
    description:
      'WebSocket upgrade attempts per second per identity (burst 2x), refused ones included; beyond, 429 before any relay-wide token.',
  },
  socketsPerSource: {
    env: 'SEALCAM_SOCKETS_PER_SOURCE',
    type: 'integer',
    default: 512,
    minimum: 1,
    description:
      'Sockets one client address may hold open in all, authenticated or not; beyond, 503 and closed. Not applied to sockets from trusted proxies (SEALCAM_TRUST_PROXY).',
  },
  connectionsPerSource: {
    env: 'SEALCAM_CONNECTIONS_PER_SOURCE',
    type: 'integer',
    default: 256,
    minimum: 1,
    description:
      'WebSocket connections one client address may hold open at once (all its identities together); beyond, 503 + Retry-After before any relay-wide token.',
  },
  uploadBytesInFlight: {
    env: 'SEALCAM_UPLOAD_BYTES_IN_FLIGHT',
    type: 'integer',
    default: 67_108_864,
    minimum: 1_048_576,
    description:
      'Bytes of upload bodies the relay receives at once (each reserves its declared size, or its route limit, before it is read); beyond, 503 + Retry-After.',
  },
  uploadBytesInFlightPerSource: {
    env: 'SEALCAM_UPLOAD_BYTES_IN_FLIGHT_PER_SOURCE',
    type: 'integer',
    default: 33_554_432,
    minimum: 65_536,
    description:
      'Bytes of upload bodies one client address may have in flight at once; beyond, 429 + Retry-After before the relay-wide budget.',
  },
  newDevicesPerSourcePerHour: {
    env: 'SEALCAM_NEW_DEVICES_PER_SOURCE_PER_HOUR',
    type: 'integer',
    default: 32,
    minimum: 1,
    description:
      'Device identities one client address may log in as for the first time within an hour (a gateway logging in again as itself does not count); beyond, 429. Bounds how many devices a stranger can make hold records.',
  },
  unauthenticatedSocketsPerSource: {
    env: 'SEALCAM_UNAUTHENTICATED_SOCKETS_PER_SOURCE',
    type: 'integer',
    default: 64,
    minimum: 1,
    description:
      'Sockets one client address may hold open before a valid token or a completed WebSocket upgrade; beyond, 503 and closed. Not applied to sockets from trusted proxies (SEALCAM_TRUST_PROXY).',
  },
  ipv6SourcePrefix: {
    env: 'SEALCAM_IPV6_SOURCE_PREFIX',
    type: 'integer',
    default: 64,
    minimum: 1,
    maximum: 128,
    description: 'IPv6 clients count as one source per prefix of this length for every per-source limit.',
  },
  ipv6HomePrefix: {
    env: 'SEALCAM_IPV6_HOME_PREFIX',
    type: 'integer',
    default: 48,
    minimum: 1,
    maximum: 128,
    description:
      "IPv6 devices share one address quota (SEALCAM_ADDRESS_QUOTA_BYTES) per prefix of this length: a subscriber's whole allocation (often a /56 or a /48), not each of its /64s.",
  },
  headersTimeoutSeconds: {
    env: 'SEALCAM_HEADERS_TIMEOUT_SECONDS',
    type: 'integer',
    default: 10,
    minimum: 1,
    maximum: 300,
    description:
      'Time a client has to send complete request headers (upgrade requests too); then the socket is closed.',
  },
  requestTimeoutSeconds: {
    env: 'SEALCAM_REQUEST_TIMEOUT_SECONDS',
    type: 'integer',
    default: 30,
    minimum: 2,
    maximum: 3600,
    description: 'Time a client has to send a whole request (body included), and the idle time of a socket.',
  },
  listenBacklog: {
    env: 'SEALCAM_LISTEN_BACKLOG',
    type: 'integer',
    default: 65_535,
    minimum: 1,
    maximum: 65_535,
    description:
      "Connections the kernel may queue before the relay accepts them (listen(2)'s backlog), so that a reconnect storm meets admission control instead of dropped SYNs; the kernel caps it at net.core.somaxconn.",
  },
  upgradeTimeoutSeconds: {
    env: 'SEALCAM_UPGRADE_TIMEOUT_SECONDS',
    type: 'integer',
    default: 5,
    minimum: 1,
    maximum: 300,
    description:
      'Time from a WebSocket upgrade request to its completion (or, refused, to the socket closing).',
  },
  fdReserve: {
    env: 'SEALCAM_FD_RESERVE',
    type: 'integer',
    default: 256,
    minimum: 16,
    description:
      'File descriptors kept free for Redis, files and logs: sockets are capped at the open-file limit minus this.',
  },
  maxFrameBytes: {
    env: 'SEALCAM_MAX_FRAME_BYTES',
    type: 'integer',
    default: 4_194_304,
    minimum: 1024,
    description: 'Largest live frame message accepted.',
  },
  maxObjectBytes: {
    env: 'SEALCAM_MAX_OBJECT_BYTES',
    type: 'integer',
    default: 8_388_864,
    minimum: 1024,
    description: 'Largest stored object (thumbnail, clip chunk, envelope, manifest).',
  },
  viewerQueueBytes: {
    env: 'SEALCAM_VIEWER_QUEUE_BYTES',
    type: 'integer',
    default: 2_097_152,
    minimum: 16_384,
    description: 'Per-viewer send buffer: beyond it non-keyframes are dropped; beyond 4x keyframes too.',
  },
  subscriptionsPerConnection: {
    env: 'SEALCAM_SUBSCRIPTIONS_PER_CONNECTION',
    type: 'integer',
    default: 64,
    minimum: 1,
    description: 'Streams and event feeds one viewer connection may follow.',
  },
  logLevel: {
    env: 'SEALCAM_LOG_LEVEL',
    type: 'string',
    default: 'info',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    description: 'pino log level.',
  },
  adminHost: {
    env: 'SEALCAM_ADMIN_HOST',
    type: 'string',
    default: '127.0.0.1',
    description:
      'Address of the admin listener (/metrics, detailed /healthz and /readyz). A non-loopback address is refused unless SEALCAM_ADMIN_TOKEN is set.',
  },
  adminPort: {
    env: 'SEALCAM_ADMIN_PORT',
    type: 'integer',
    default: 9090,
    minimum: 0,
    maximum: 65535,
    description: 'TCP port of the admin listener (0 = any free port).',
  },
  adminToken: {
    env: 'SEALCAM_ADMIN_TOKEN',
    type: 'string',
    default: null,
    description:
      'Operator token, at least 32 characters: when set, every admin request needs Authorization: Bearer <token>. Required for a non-loopback SEALCAM_ADMIN_HOST.',
  },
  shutdownGraceSeconds: {
    env: 'SEALCAM_SHUTDOWN_GRACE_SECONDS',
    type: 'integer',
    default: 10,
    minimum: 0,
    maximum: 300,
    description: 'Graceful shutdown: time to drain before connections are cut.',
  },
  webRoot: {
    env: 'SEALCAM_WEB_ROOT',
    type: 'string',
    default: null,
    description:
      'Directory of the built web viewer (client/dist/webapp) to serve at /, /pair and the app’s pages; static files only, with a strict CSP, its brotli or gzip copies by `Accept-Encoding`. Off when unset.',
  },
  appOrigins: {
    env: 'SEALCAM_APP_ORIGINS',
    type: 'string',
    default: null,
    description:
      'Origins of web apps served elsewhere (comma-separated, e.g. https://app.example) allowed to call the API from a browser (CORS). The relay is then only an API, and whoever runs it cannot replace the app (docs/THREAT-MODEL.md). Off when unset.',
  },
  faultInjection: {
    env: 'SEALCAM_FAULT_INJECTION',
    type: 'string',
    default: 'off',
    enum: ['off', 'mixup', 'delay-live'],
    description:
      'TEST ONLY. "mixup" makes the store and fan-out misroute results; "delay-live" holds every live frame back by SEALCAM_FAULT_DELAY_MS (see "Fault seam"). Logged loudly and shown in the admin /healthz.',
  },
  faultDelayMs: {
    env: 'SEALCAM_FAULT_DELAY_MS',
    type: 'integer',
    default: 5000,
    minimum: 0,
    maximum: 600_000,
    description: 'TEST ONLY. How long each live frame is held back when faultInjection = delay-live.',
  },
  faultRate: {
    env: 'SEALCAM_FAULT_RATE',
    type: 'number',
    default: 0.2,
    minimum: 0,
    maximum: 1,
    description: 'TEST ONLY. Probability of each misroute when faultInjection = mixup.',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
