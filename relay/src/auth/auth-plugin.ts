import type { FastifyPluginCallback, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { KeyedRateLimit } from '../http/admission.js';
import { forbidden, tooMany, unauthorized } from '../http/errors.js';
import { hookList } from '../http/route-hooks.js';
import type { Metrics } from '../ops/metrics.js';
import { errorReplies } from '../routes/replies.js';
import type { Session } from './tokens.js';
import { bearerToken, type SessionVerifier } from './verify-session.js';

/**
 * Who may call a route, declared in its config (`config: { auth: 'device' }`):
 * - 'any': a device or a viewer with a valid session token;
 * - 'device' / 'viewer': that role only (else 403 wrong-role);
 * - 'self': the device named by the route's `:deviceId` (else 403 wrong-role / not-this-device).
 * Routes without `auth` are public.
 */
export type RouteAuth = 'any' | 'device' | 'viewer' | 'self';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified session of a route with `config.auth`; null on public routes. */
    session: Session | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

export interface AuthOptions {
  readonly verify: SessionVerifier;
  /** Per-identity request rate (429 beyond). */
  readonly requestLimit: KeyedRateLimit;
  readonly metrics: Metrics;
}

const HINT = 'authenticate with POST /v1/auth/token first';

/** The session of a route declared with `config.auth` (set before its handler runs). */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.session) throw new Error('route has no config.auth');
  return request.session;
}

/**
 * Authentication as a plugin, like fastify-rate-limit's per-route config: routes declare `auth`,
 * and this plugin adds to each the hooks that check it and the error replies it can cause. The
 * token is verified once per request, in onRequest, before any body is read.
 */
const plugin: FastifyPluginCallback<AuthOptions> = (app, options, done) => {
  app.decorateRequest('session', null);
  app.addHook('onRoute', (route: RouteOptions) => {
    const auth = route.config?.auth;
    if (!auth) return;
    const role = auth === 'self' ? 'device' : auth === 'any' ? null : auth;
    const authenticate = async (request: FastifyRequest) => {
      const session = options.verify(bearerToken(request.headers.authorization));
      if (typeof session === 'string') throw unauthorized(session, HINT);
      const wait = await options.requestLimit.take(session.id);
      if (wait !== null) {
        options.metrics.admissionRejections.inc({ kind: 'identity-rate' });
        throw tooMany(wait);
      }
      if (role && session.role !== role) throw forbidden('wrong-role', `this route is for ${role}s`);
      request.session = session;
    };
    route.onRequest = [authenticate, ...hookList(route.onRequest)];
    if (auth === 'self') {
      // After validation, so a malformed id in the URL is a 400 like on every other route.
      const self = async (request: FastifyRequest) => {
        const { deviceId } = request.params as { deviceId?: string };
        if (request.session?.id !== deviceId)
          throw forbidden('not-this-device', 'a device may only use its own objects');
      };
      route.preHandler = [...hookList(route.preHandler), self];
    }
    const statuses = role ? ([401, 403, 429] as const) : ([401, 429] as const);
    route.schema = {
      ...route.schema,
      response: { ...errorReplies(statuses), ...(route.schema?.response as object | undefined) },
    };
  });
  done();
};

export const authPlugin = fp(plugin, { name: 'sealcam-auth', fastify: '5.x' });
