import { RETRY_SPREAD_HEADER, type RelayReason } from '@sealcam/protocol/relay-safe';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Metrics } from '../ops/metrics.js';
import { HttpError } from './errors.js';

/** The reason of a 4xx that fastify itself raised (body parsing, limits, routing). */
const FRAMEWORK_REASONS: Record<number, RelayReason> = {
  404: 'not-found',
  413: 'too-large',
  415: 'unsupported-media-type',
};

/**
 * Every error leaves as `{ error: <RelayReason>, message }` (with Retry-After where retrying helps);
 * the route's response schema serializes it, so nothing else leaves.
 */
export function installErrorHandler(
  app: FastifyInstance,
  deps: { metrics: Metrics; backendsReady: () => boolean; retryAfterSeconds: number },
): void {
  const { metrics } = deps;
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      if (error.retrySpreadSeconds !== undefined)
        reply.header(RETRY_SPREAD_HEADER, String(error.retrySpreadSeconds));
      if (error.statusCode === 400 || error.statusCode === 413) metrics.badInput.inc({ surface: 'http' });
      return reply.code(error.statusCode).send({ error: error.reason, message: error.message });
    }
    if (error.validation) {
      metrics.badInput.inc({ surface: 'http' });
      return reply.code(400).send({ error: 'invalid-request', message: error.message });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      metrics.badInput.inc({ surface: 'http' });
      const status = error.statusCode in FRAMEWORK_REASONS ? error.statusCode : 400;
      return reply
        .code(status)
        .send({ error: FRAMEWORK_REASONS[status] ?? 'invalid-request', message: error.message });
    }
    if (!deps.backendsReady() || /\b(OOM|BUSY|LOADING|READONLY)\b/.test(error.message)) {
      reply.header('retry-after', String(deps.retryAfterSeconds));
      return reply
        .code(503)
        .send({ error: 'store-unavailable', message: 'storage is unreachable; retry later' });
    }
    request.log.error({ err: error.message }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not-found', message: 'no such route' }),
  );
}
