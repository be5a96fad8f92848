import assert from 'node:assert/strict';
import {
  createIdentity,
  type ErrorCode,
  type Identity,
  type Rng,
  Role,
  ready,
  SealError,
  seededRng,
} from '../src/index.js';

await ready();

/** A fixed "now" so validity windows are deterministic. */
export const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
export const TEN_MINUTES = 600_000;

export function rngFrom(label: string): Rng {
  const seed = new Uint8Array(32);
  seed.set(new TextEncoder().encode(label).subarray(0, 32));
  return seededRng(seed);
}

export interface World {
  readonly rng: Rng;
  readonly device: Identity;
  readonly otherDevice: Identity;
  readonly owner: Identity;
  readonly friend: Identity;
  readonly stranger: Identity;
}

export function world(label = 'world'): World {
  const rng = rngFrom(label);
  return {
    rng,
    device: createIdentity(Role.Device, rng),
    otherDevice: createIdentity(Role.Device, rng),
    owner: createIdentity(Role.Viewer, rng),
    friend: createIdentity(Role.Viewer, rng),
    stranger: createIdentity(Role.Viewer, rng),
  };
}

/** Asserts that fn throws a SealError with this code (and nothing else: no TypeError, RangeError...). */
export function throwsCode(fn: () => unknown, code: ErrorCode, message?: string): SealError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, message ?? `expected ${code}, but nothing was thrown`);
  assert.ok(caught instanceof SealError, `expected SealError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, message ?? caught.message);
  return caught;
}

/** Asserts that fn throws some SealError (typed rejection), returning its code. */
export function rejects(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SealError, `untyped error: ${String(error)}`);
    return error.code;
  }
  assert.fail('accepted input that must be rejected');
}

export function bytes(length: number, fill = 0): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export function flip(data: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = data.slice();
  copy[index]! ^= mask;
  return copy;
}
