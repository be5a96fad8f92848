import type { FastifyRequest } from 'fastify';
import type { Session, SessionRole } from '../auth/tokens.js';
import type { RelayContext } from '../context.js';
import { forbidden, tooMany, unauthorized } from './errors.js';

/** Authenticates the bearer token, applies the per-identity rate limit, and checks the role. */
export async function requireSession(
  context: RelayContext,
  request: FastifyRequest,
  role?: SessionRole,
): Promise<Session> {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) {
    context.metrics.authFailures.inc({ reason: 'missing-token' });
    throw unauthorized('missing-token', 'send Authorization: Bearer <token> from POST /v1/auth/token');
  }
  const result = context.tokens.verify(header.slice(7).trim(), context.now());
  if (typeof result === 'string') {
    context.metrics.authFailures.inc({ reason: `token-${result}` });
    throw unauthorized(`token-${result}`, `session token ${result.replace('-', ' ')}; authenticate again`);
  }
  const wait = await context.requestLimit.take(result.id);
  if (wait !== null) {
    context.metrics.admissionRejections.inc({ kind: 'identity-rate' });
    throw tooMany(wait);
  }
  if (role && result.role !== role) throw forbidden('wrong-role', `this route is for ${role}s`);
  return result;
}

/** The session must be the device named in the URL. */
export function requireSelf(session: Session, deviceId: string): void {
  if (session.role !== 'device' || session.id !== deviceId) {
    throw forbidden('not-this-device', 'a device may only write its own objects');
  }
}
