import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Metrics } from '../ops/metrics.js';
import { hookList } from './route-hooks.js';

/** Whether a status is among the keys of a response schema ("200", "4xx", "default"). */
export function declaredStatuses(response: object): (status: number) => boolean {
  const keys = Object.keys(response).map((key) => key.toLowerCase());
  if (keys.includes('default')) return () => true;
  const exact = new Set(keys.filter((key) => /^\d{3}$/.test(key)).map(Number));
  const classes = new Set(keys.filter((key) => /^[1-5]xx$/.test(key)).map((key) => Number(key[0])));
  return (status) => exact.has(status) || classes.has(Math.floor(status / 100));
}

/**
 * Keeps the contract honest: every route with response schemas (they make the OpenAPI document)
 * gets an onResponse hook that counts and logs a reply whose status the route does not declare.
 * One Set lookup per reply. Add after every plugin that adds error replies to routes (the auth
 * plugin), before the routes: onRoute hooks run in the order they were added.
 */
export function guardDeclaredStatuses(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const response = route.schema?.response;
    if (!response || typeof response !== 'object') return;
    const declared = declaredStatuses(response);
    const check = async (request: FastifyRequest, reply: FastifyReply) => {
      if (declared(reply.statusCode)) return;
      const { method } = request;
      metrics.undeclaredStatuses.inc({ method, route: route.url, status: String(reply.statusCode) });
      request.log.warn(
        { method, route: route.url, status: reply.statusCode },
        'reply status not declared in the route schema (and so missing from the OpenAPI document)',
      );
    };
    route.onResponse = [...hookList(route.onResponse), check];
  });
}
