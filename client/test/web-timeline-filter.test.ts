import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFiltered, rowMatches } from '../web/src/timeline-filter.js';

const DAY = { from: 1_000_000, to: 1_086_399_999 };

test('a filter shows only the rows of its camera, day and kind', () => {
  const row = { streamId: 'front', time: 2_000_000, kind: 'person' };
  assert.equal(rowMatches({}, row), true);
  assert.equal(rowMatches({ streamId: 'front' }, row), true);
  assert.equal(rowMatches({ streamId: 'back' }, row), false);
  assert.equal(rowMatches({ kind: 'person' }, row), true);
  assert.equal(rowMatches({ kind: 'motion' }, row), false);
  assert.equal(rowMatches({ day: DAY }, row), true);
  assert.equal(rowMatches({ day: DAY }, { ...row, time: DAY.from - 1 }), false);
  assert.equal(rowMatches({ day: DAY }, { ...row, time: DAY.to + 1 }), false);
  assert.equal(rowMatches({ streamId: 'front', kind: 'motion', day: DAY }, row), false);
});

test('a row whose kind is not verified yet waits, shown; its camera and time already filter it', () => {
  const pending = { streamId: 'front', time: 2_000_000 };
  assert.equal(rowMatches({ kind: 'motion' }, pending), true);
  assert.equal(rowMatches({ kind: 'motion', streamId: 'back' }, pending), false);
});

test('isFiltered says whether anything is narrowed', () => {
  assert.equal(isFiltered({}), false);
  assert.equal(isFiltered({ kind: 'motion' }), true);
  assert.equal(isFiltered({ day: DAY }), true);
  assert.equal(isFiltered({ streamId: 'front' }), true);
});
