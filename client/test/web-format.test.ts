import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatAge,
  formatClock,
  formatDuration,
  formatEventTime,
  formatScore,
  groupId,
  safetyGroups,
  shortFingerprint,
} from '../web/src/format.js';

test('durations read naturally from sub-second to hours', () => {
  assert.equal(formatDuration(0), '0.0 s');
  assert.equal(formatDuration(840), '0.8 s');
  assert.equal(formatDuration(9_949), '9.9 s');
  assert.equal(formatDuration(12_400), '12 s');
  assert.equal(formatDuration(65_000), '1 min 05 s');
  assert.equal(formatDuration(2 * 3_600_000 + 3 * 60_000), '2 h 03 min');
  assert.equal(formatDuration(-1), '–');
  assert.equal(formatDuration(Number.NaN), '–');
});

test('frame ages', () => {
  assert.equal(formatAge(300), 'just now');
  assert.equal(formatAge(4_200), '4 s ago');
  assert.equal(formatAge(3 * 60_000 + 5), '3 min ago');
  assert.equal(formatAge(2 * 3_600_000), '2 h ago');
  assert.equal(formatAge(5 * 86_400_000), '5 d ago');
  assert.equal(formatAge(Number.POSITIVE_INFINITY), '–');
});

test('scores are percentages; anything outside [0, 1] is a dash', () => {
  assert.equal(formatScore(0), '0%');
  assert.equal(formatScore(0.734), '73%');
  assert.equal(formatScore(1), '100%');
  assert.equal(formatScore(1.2), '–');
  assert.equal(formatScore(-0.1), '–');
  assert.equal(formatScore(Number.NaN), '–');
});

test('event times: clock today, "Yesterday", else the date', () => {
  const options = { locale: 'en-GB', timeZone: 'UTC' };
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  assert.equal(formatEventTime(Date.UTC(2026, 10, 25, 9, 5, 7), now, options), '09:05:07');
  assert.equal(formatEventTime(Date.UTC(2026, 10, 24, 23, 59, 59), now, options), 'Yesterday 23:59:59');
  const older = formatEventTime(Date.UTC(2026, 10, 20, 8, 0, 0), now, options);
  assert.match(older, /20 Nov/);
  assert.match(older, /08:00:00$/);
  assert.doesNotMatch(older, /2026/);
  assert.match(formatEventTime(Date.UTC(2025, 0, 2, 8, 0, 0), now, options), /2025/);
});

test('playback clock', () => {
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(7_900), '0:07');
  assert.equal(formatClock(750_000), '12:30');
  assert.equal(formatClock(-5), '0:00');
});

test('safety numbers split into their groups; ids group by four', () => {
  const number = '12345 67890 11111 22222 33333 44444 55555 66666 77777 88888 99999 00000';
  const groups = safetyGroups(number);
  assert.equal(groups.length, 12);
  assert.ok(groups.every((group) => /^\d{5}$/.test(group)));
  assert.equal(groups.join(' '), number);
  assert.deepEqual(safetyGroups('  1 \n 2  '), ['1', '2']);
  assert.equal(groupId('abcdefghij'), 'abcd efgh ij');
  assert.equal(shortFingerprint('k3vq 7xa2 mm4p qq'), 'k3vq 7xa2…');
  assert.equal(shortFingerprint('k3vq 7xa2'), 'k3vq 7xa2');
});
