import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepingRollbackFloors, type StoredCamera, type ViewerState } from '../src/sdk/viewer-state.js';

const camera = (card: string, extra: Partial<StoredCamera> = {}): StoredCamera => ({
  card,
  relayUrl: 'http://127.0.0.1:1',
  name: card,
  access: 1,
  pairedAt: 1,
  streams: {},
  ...extra,
});
const state = (...cameras: StoredCamera[]): ViewerState => ({ v: 1, identity: 'id', cameras });

test('saving keeps the higher rollback floors another process stored: access-list version and manifest chains, never lowered', () => {
  const mine = state(
    camera('A', {
      accessListVersion: 5,
      streams: { s1: { epoch: 3, hash: 'mine3' }, s2: { epoch: 9, hash: 'mine9' } },
    }),
    camera('B'),
  );
  const stored = state(
    camera('A', {
      accessListVersion: 7,
      streams: {
        s1: { epoch: 4, hash: 'theirs4' },
        s2: { epoch: 1, hash: 'x' },
        s3: { epoch: 2, hash: 'y' },
      },
    }),
    camera('C', { accessListVersion: 99 }),
  );
  const merged = keepingRollbackFloors(mine, stored);
  assert.deepEqual(
    merged.cameras.map((c) => c.card),
    ['A', 'B'],
    'the cameras are this process’s (a forgotten one is not brought back)',
  );
  const a = merged.cameras[0]!;
  assert.equal(a.accessListVersion, 7);
  assert.deepEqual(a.streams, {
    s1: { epoch: 4, hash: 'theirs4' },
    s2: { epoch: 9, hash: 'mine9' },
    s3: { epoch: 2, hash: 'y' },
  });
  assert.equal(merged.cameras[1]!.accessListVersion, undefined);
  assert.equal(
    keepingRollbackFloors(stored, mine).cameras[0]!.accessListVersion,
    7,
    'symmetric: the higher wins',
  );
});
