import type { preParsingAsyncHookHandler } from 'fastify';
import { sessionOf } from '../auth/auth-plugin.js';
import type { RelayContext } from '../context.js';
import { insufficientStorage, tooMany, unavailable } from '../http/errors.js';
import { sourceOfRequest } from '../http/source-address.js';

/**
 * Before an upload's body is read (preParsing: after its token was checked, before a byte is
 * buffered): a declared size the device's quota cannot take is 507 `quota` at once, and the size
 * (or the route's body limit, when none is declared) is reserved from the upload budgets until the
 * request ends, so bodies held open half-sent cannot pile up in memory.
 */
export function admitUpload(context: RelayContext): preParsingAsyncHookHandler {
  return async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD') return payload;
    const limit = request.routeOptions.bodyLimit ?? context.config.maxObjectBytes;
    const declared = Number(request.headers['content-length']);
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, limit) : limit;
    const session = sessionOf(request);
    // Every upload route is the device's own ('self'); anything else is refused by its own hooks.
    if (session.role !== 'device') return payload;
    const retention = context.retention();
    if ((await context.store.usage(session.id, context.now(), retention)) + bytes > retention.quotaBytes) {
      context.metrics.storeRefusals.inc({ kind: 'upload', reason: 'quota' });
      throw insufficientStorage(
        'quota',
        'this upload does not fit in the device quota; delete or wait for expiry',
        context.config.retryAfterSeconds,
      );
    }
    const release = context.uploads.reserve(sourceOfRequest(request, context.config), bytes);
    if (release === 'source') {
      context.metrics.admissionRejections.inc({ kind: 'source-upload-bytes' });
      throw tooMany(
        context.config.retryAfterSeconds,
        'rate-limited',
        'too many upload bytes in flight from this address',
      );
    }
    if (release === 'relay') {
      context.metrics.admissionRejections.inc({ kind: 'upload-bytes' });
      throw unavailable(
        'over-capacity',
        'the relay is receiving too many uploads; retry later with jitter',
        context.config.retryAfterSeconds,
      );
    }
    reply.raw.once('close', release);
    return payload;
  };
}
