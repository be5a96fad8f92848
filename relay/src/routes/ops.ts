import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../context.js';

export const FAULT_WARNING =
  'FAULT INJECTION IS ON: this relay deliberately misroutes stored objects and live frames (test only)';

/** Health, readiness and Prometheus metrics. */
export function opsRoutes(
  app: FastifyInstance,
  context: RelayContext,
  state: { draining: () => boolean },
): void {
  const fault =
    context.config.faultInjection === 'off'
      ? null
      : { mode: context.config.faultInjection, rate: context.config.faultRate, warning: FAULT_WARNING };

  app.get('/healthz', { schema: {} }, async () => ({
    status: 'ok',
    store: context.store.kind,
    bus: context.bus.kind,
    connections: context.admission.openConnections,
    ...(fault ? { faultInjection: fault } : {}),
  }));

  app.get('/readyz', { schema: {} }, async (_request, reply) => {
    const store = context.store.isReady();
    const bus = context.bus.isReady();
    const ready = store && bus && !state.draining();
    reply.code(ready ? 200 : 503);
    if (!ready) reply.header('retry-after', String(context.config.retryAfterSeconds));
    return { ready, store, bus, draining: state.draining() };
  });

  app.get('/metrics', { schema: {} }, async (_request, reply) => {
    reply.type(context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}
