import type { FastifyPluginAsync } from 'fastify';
import type { RelayContext } from '../context.js';
import { errorReplies, objectReply, retryAfterHeader } from './replies.js';

export const FAULT_WARNING =
  'FAULT INJECTION IS ON: this relay deliberately misroutes or holds back what it serves (test only)';

const readiness = (description: string) => objectReply(description, { ready: { type: 'boolean' } });

/**
 * The public listener's health and readiness, for load balancers: up, and ready or not, nothing else.
 * Everything an outsider could learn from (store, connections, counters) is on the admin listener.
 */
export const opsRoutes: FastifyPluginAsync<{ context: RelayContext; draining: () => boolean }> = async (
  app,
  { context, draining },
) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        response: {
          200: objectReply('The process is up', { status: { type: 'string', enum: ['ok'] } }),
          ...errorReplies([500]),
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness (for a load balancer)',
        response: {
          200: readiness('Ready to serve'),
          503: {
            ...readiness('Not ready: storage or bus unreachable, or draining'),
            headers: retryAfterHeader,
          },
          ...errorReplies([500]),
        },
      },
    },
    async (_request, reply) => {
      const ready = context.store.isReady() && context.bus.isReady() && !draining();
      reply.code(ready ? 200 : 503);
      if (!ready) reply.header('retry-after', String(context.config.retryAfterSeconds));
      return { ready };
    },
  );
};
