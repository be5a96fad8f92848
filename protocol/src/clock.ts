/** Tolerated difference between the device's and the viewer's clocks when checking validity windows. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function withinWindow(
  now: number,
  notBefore: number,
  notAfter: number,
  skew = CLOCK_SKEW_MS,
): boolean {
  return now + skew >= notBefore && now - skew <= notAfter;
}
