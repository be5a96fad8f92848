import type { FastifyPluginAsync } from 'fastify';
import type { RelayContext } from '../context.js';
import { FAULT_WARNING } from './ops.js';
import { errorReplies, objectReply, retryAfterHeader } from './replies.js';

const readiness = (description: string) =>
  objectReply(description, {
    ready: { type: 'boolean' },
    store: { type: 'boolean', description: 'The store is reachable' },
    bus: { type: 'boolean', description: 'The fan-out bus is reachable' },
    draining: { type: 'boolean', description: 'The relay is shutting down' },
  });

const health = objectReply(
  'The process is up',
  {
    status: { type: 'string', enum: ['ok'] },
    store: { type: 'string', enum: ['memory', 'redis'] },
    bus: { type: 'string', enum: ['local', 'redis'] },
    connections: { type: 'integer', minimum: 0, description: 'Open WebSocket connections' },
    faultInjection: objectReply('TEST ONLY: present when the fault seam is on', {
      mode: { type: 'string', enum: ['mixup', 'delay-live'] },
      rate: { type: 'number' },
      delayMs: { type: 'integer', minimum: 0 },
      warning: { type: 'string' },
    }),
  },
  ['faultInjection'],
);

/** The admin listener's routes: detailed health and readiness, and Prometheus metrics. */
export const adminRoutes: FastifyPluginAsync<{ context: RelayContext; draining: () => boolean }> = async (
  app,
  { context, draining },
) => {
  const fault =
    context.config.faultInjection === 'off'
      ? null
      : {
          mode: context.config.faultInjection,
          rate: context.config.faultRate,
          delayMs: context.config.faultDelayMs,
          warning: FAULT_WARNING,
        };

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness, with backends and connections',
        response: { 200: health, ...errorReplies([401, 500]) },
      },
    },
    async () => ({
      status: 'ok',
      store: context.store.kind,
      bus: context.bus.kind,
      connections: context.admission.openConnections,
      ...(fault ? { faultInjection: fault } : {}),
    }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness, with what is not ready',
        response: {
          200: readiness('Ready to serve'),
          503: {
            ...readiness('Not ready: storage or bus unreachable, or draining'),
            headers: retryAfterHeader,
          },
          ...errorReplies([401, 500]),
        },
      },
    },
    async (_request, reply) => {
      const store = context.store.isReady();
      const bus = context.bus.isReady();
      const ready = store && bus && !draining();
      reply.code(ready ? 200 : 503);
      if (!ready) reply.header('retry-after', String(context.config.retryAfterSeconds));
      return { ready, store, bus, draining: draining() };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (counts and kinds only: no ids, no content)',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorReplies([401, 500]),
        },
      },
    },
    async (_request, reply) => {
      reply.type(context.metrics.registry.contentType);
      return context.metrics.registry.metrics();
    },
  );
};
