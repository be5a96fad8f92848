import type { FastifyRequest } from 'fastify';
import { badRequest, HttpError } from './errors.js';

/** The raw body of an application/octet-stream request (size already bounded by bodyLimit). */
export function binaryBody(request: FastifyRequest): Uint8Array {
  if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
    throw new HttpError(415, 'unsupported-media-type', 'send the object as application/octet-stream');
  }
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw badRequest('empty-body', 'the body is empty');
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}
