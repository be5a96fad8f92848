import { InvalidArgumentError } from 'commander';
import type { ViewerError } from '../sdk/errors.js';

/** An expected failure of the CLI itself (bad input, a file it cannot write): one line, exit code 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes: 0 done, 1 usage (commander), 2 refused or unavailable, 3 content failed verification. */
/** Exit codes: 2 refused or failed, 3 content rejected, 4 sent but not yet confirmed by the camera. */
export const EXIT = { refused: 2, rejected: 3, pending: 4 } as const;

/** "2024-05-01 10:00:00.123 UTC": unambiguous, sortable, no locale. */
export function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** A time given as ISO 8601 or as Unix milliseconds. */
export function parseTime(value: string): number {
  const text = value.trim();
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidArgumentError('an ISO 8601 time (2024-05-01T10:00:00Z) or Unix milliseconds');
  return ms;
}

/** A whole number in [min, max], for commander. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return parsed;
  };
}

/**
 * One line for a ViewerError: verification failures as `REJECTED: <sentence> (<REASON>)`, refusals as
 * the sentence; the technical detail only when asked for.
 */
export function describeError(error: ViewerError, verbose: boolean): string {
  const detail = verbose ? error.detail : undefined;
  const head = error.verificationFailure
    ? `REJECTED: ${error.userMessage} (${error.reason})`
    : `${error.userMessage}${verbose ? ` (${error.reason})` : ''}`;
  return detail ? `${head}: ${detail}` : head;
}

export function exitCodeOf(error: ViewerError): number {
  return error.verificationFailure ? EXIT.rejected : EXIT.refused;
}

/** "12345 67890 …" (12 groups of 5 digits) as lines of `perLine` groups, for reading aloud. */
export function groupedSafetyNumber(safetyNumber: string, perLine = 4): string[] {
  const groups = safetyNumber.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += perLine) lines.push(groups.slice(i, i + perLine).join('  '));
  return lines;
}

export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
