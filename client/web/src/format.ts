/** Text for the UI: times, durations, ages, scores, safety numbers. Pure (no DOM). */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A duration such as "0.8 s", "12 s", "1 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10 * SECOND) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  if (ms < MINUTE) return `${Math.round(ms / SECOND)} s`;
  if (ms < HOUR) {
    const seconds = Math.round(ms / SECOND);
    return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  }
  const minutes = Math.round(ms / MINUTE);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** How long ago, for a frame: "just now", "4 s ago", "3 min ago", "2 h ago", "5 d ago". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < SECOND) return 'just now';
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s ago`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  return `${Math.floor(ms / DAY)} d ago`;
}

/** A motion score in [0, 1] as a percentage; anything else as a dash. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score) || score < 0 || score > 1) return '–';
  return `${Math.round(score * 100)}%`;
}

export interface TimeFormatOptions {
  readonly locale?: string;
  readonly timeZone?: string;
}

function dayKey(time: number, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(time);
}

/**
 * An event time: the clock time alone when it is today, "Yesterday" and the time, else the date
 * and the time. Seconds are shown: events seconds apart must be told apart.
 */
export function formatEventTime(time: number, now: number, options: TimeFormatOptions = {}): string {
  const zone = options.timeZone ? { timeZone: options.timeZone } : {};
  const clock = new Intl.DateTimeFormat(options.locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...zone,
  }).format(time);
  const day = dayKey(time, options.timeZone);
  if (day === dayKey(now, options.timeZone)) return clock;
  if (day === dayKey(now - DAY, options.timeZone)) return `Yesterday ${clock}`;
  const date = new Intl.DateTimeFormat(options.locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(new Date(time).getFullYear() !== new Date(now).getFullYear() ? { year: 'numeric' } : {}),
    ...zone,
  }).format(time);
  return `${date} ${clock}`;
}

/** Playback position: "0:07", "12:30". */
export function formatClock(ms: number): string {
  const seconds = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / SECOND));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The groups of a safety number ("12345 67890 …" → ["12345", "67890", …]). */
export function safetyGroups(safetyNumber: string): string[] {
  return safetyNumber.split(/\s+/).filter((group) => group.length > 0);
}

/** A fingerprint or id cut to its first groups, for compact labels ("k3vq 7xa2…"). */
export function shortFingerprint(fingerprint: string, groups = 2): string {
  const parts = fingerprint.split(/\s+/).filter((part) => part.length > 0);
  return parts.length <= groups ? parts.join(' ') : `${parts.slice(0, groups).join(' ')}…`;
}

/** An id (26 base32 characters) in groups of four, as fingerprints are shown. */
export function groupId(id: string): string {
  return (id.match(/.{1,4}/g) ?? []).join(' ');
}
