import type { FastifyRequest } from 'fastify';
import { badRequest } from './errors.js';

/** The raw body of an application/octet-stream request (size already bounded by bodyLimit). */
export function binaryBody(request: FastifyRequest): Uint8Array {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw badRequest('empty-body', 'send the object as application/octet-stream');
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}
