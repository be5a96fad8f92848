import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreStats } from '../store/store.js';

/**
 * Prometheus metrics. Labels never carry ids or content: only kinds, outcomes and reasons from
 * fixed sets.
 */
/**
 * How often the event-loop delay is sampled (prom-client's default is every 10 ms). Each sample is a
 * timer that wakes the process: at 10 ms an idle relay spent ~7 ms of CPU a second on them, as much
 * as a lone 30 fps stream's frames themselves (`npm run bench:relay -- --fan-out`). 100 ms still
 * gives the lag percentiles ~150 samples per 15 s scrape.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics() {
  const registry = new Registry();
  // Counts on the per-frame path are plain numbers, folded into their counters when /metrics is
  // read: prom-client's inc() allocates and hashes a labels object on every call.
  const hot = { framesIn: 0, framesOut: 0, frameBytesIn: 0, busDeltaPublishes: 0 };
  /** The store's totals, read when /metrics is scraped (set once the store is open). */
  const sources: { storeStats: (() => Promise<StoreStats>) | null } = { storeStats: null };
  const storeGauge = (read: (stats: StoreStats) => number) =>
    async function collect(this: Gauge) {
      try {
        if (sources.storeStats) this.set(read(await sources.storeStats()));
      } catch {
        // The store is unreachable: the gauge keeps its last value (store errors are counted).
      }
    };
  // Read when /metrics is read; the server points them at its verified cache and socket guard.
  const observed = { verifiedCacheBytes: () => 0, unauthenticatedSockets: () => 0 };
  collectDefaultMetrics({
    register: registry,
    prefix: 'sealcam_relay_',
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
  });
  const metric = {
    registry,
    hot,
    sources,
    observed,
    connections: new Gauge({
      name: 'sealcam_relay_connections',
      help: 'Open WebSocket connections',
      labelNames: ['role'],
      registers: [registry],
    }),
    framesIn: new Counter({
      name: 'sealcam_relay_frames_in_total',
      help: 'Live frames received from devices',
      registers: [registry],
      collect() {
        this.inc(hot.framesIn);
        hot.framesIn = 0;
      },
    }),
    framesOut: new Counter({
      name: 'sealcam_relay_frames_out_total',
      help: 'Live frames sent to viewers',
      registers: [registry],
      collect() {
        this.inc(hot.framesOut);
        hot.framesOut = 0;
      },
    }),
    framesDropped: new Counter({
      name: 'sealcam_relay_frames_dropped_total',
      help: 'Live frames not sent to a viewer',
      labelNames: ['reason'],
      registers: [registry],
    }),
    bytesIn: new Counter({
      name: 'sealcam_relay_bytes_in_total',
      help: 'Payload bytes received',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.inc({ kind: 'frame' }, hot.frameBytesIn);
        hot.frameBytesIn = 0;
      },
    }),
    bytesOut: new Counter({
      name: 'sealcam_relay_bytes_out_total',
      help: 'Payload bytes sent',
      labelNames: ['kind'],
      registers: [registry],
    }),
    storeOperations: new Counter({
      name: 'sealcam_relay_store_operations_total',
      help: 'Store operations by operation and outcome',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'sealcam_relay_store_latency_seconds',
      help: 'Store operation latency',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    storeRefusals: new Counter({
      name: 'sealcam_relay_store_refusals_total',
      help: 'Objects not stored: quota (over quota or fair share), relay-full, or error (store failed); keyframes are a cache',
      labelNames: ['kind', 'reason'],
      registers: [registry],
    }),
    storeUsedBytes: new Gauge({
      name: 'sealcam_relay_store_used_bytes',
      help: 'Bytes the store holds, as charged to identities (bounded by storeMaxBytes)',
      registers: [registry],
      collect: storeGauge((stats) => stats.usedBytes),
    }),
    storeMaxBytes: new Gauge({
      name: 'sealcam_relay_store_max_bytes',
      help: 'storeMaxBytes: bytes the store may hold',
      registers: [registry],
      collect: storeGauge((stats) => stats.maxBytes),
    }),
    storeIdentities: new Gauge({
      name: 'sealcam_relay_store_identities',
      help: 'Identities holding stored bytes',
      registers: [registry],
      collect: storeGauge((stats) => stats.identities),
    }),
    storeHomes: new Gauge({
      name: 'sealcam_relay_store_homes',
      help: 'Source addresses whose identities hold stored bytes (fair share per address)',
      registers: [registry],
      collect: storeGauge((stats) => stats.homes),
    }),
    authFailures: new Counter({
      name: 'sealcam_relay_auth_failures_total',
      help: 'Authentication failures by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    admissionRejections: new Counter({
      name: 'sealcam_relay_admission_rejections_total',
      help: 'Handshakes or requests refused by admission control or rate limits',
      labelNames: ['kind'],
      registers: [registry],
    }),
    verifications: new Counter({
      name: 'sealcam_relay_verifications_total',
      help: 'Signatures verified for access decisions and cached cards, by object kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    verifiedCacheBytes: new Gauge({
      name: 'sealcam_relay_verified_cache_bytes',
      help: 'Bytes held by the verified caches (cards, access-list verdicts); at most cacheMaxBytes',
      registers: [registry],
      collect() {
        this.set(observed.verifiedCacheBytes());
      },
    }),
    unauthenticatedSockets: new Gauge({
      name: 'sealcam_relay_unauthenticated_sockets',
      help: 'Open sockets that have not presented a valid token or completed a WebSocket upgrade',
      registers: [registry],
      collect() {
        this.set(observed.unauthenticatedSockets());
      },
    }),
    socketTimeouts: new Counter({
      name: 'sealcam_relay_socket_timeouts_total',
      help: 'Sockets closed for not completing in time, by phase',
      labelNames: ['phase'],
      registers: [registry],
    }),
    badInput: new Counter({
      name: 'sealcam_relay_bad_input_total',
      help: 'Requests or messages rejected as malformed, oversized or forged',
      labelNames: ['surface'],
      registers: [registry],
    }),
    busPublishes: new Counter({
      name: 'sealcam_relay_bus_publishes_total',
      help: 'Messages published to other relay processes',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        // Live frames (kind delta) are counted on the hot path without a label lookup.
        if (hot.busDeltaPublishes > 0) this.inc({ kind: 'delta' }, hot.busDeltaPublishes);
        hot.busDeltaPublishes = 0;
      },
    }),
    busPublishFailures: new Counter({
      name: 'sealcam_relay_bus_publish_failures_total',
      help: 'Messages not published to other relay processes: the bus was unreachable, closed, or over its pending bound',
      labelNames: ['kind'],
      registers: [registry],
    }),
    undeclaredStatuses: new Counter({
      name: 'sealcam_relay_undeclared_status_total',
      help: 'HTTP replies whose status their route does not declare (a gap in the OpenAPI document)',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    faultMisroutes: new Counter({
      name: 'sealcam_relay_fault_misroutes_total',
      help: 'TEST ONLY: results deliberately misrouted by the fault seam',
      labelNames: ['where'],
      registers: [registry],
    }),
  };
  return metric;
}

export type Metrics = ReturnType<typeof createMetrics>;
