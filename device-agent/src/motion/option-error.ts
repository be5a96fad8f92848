/** A motion or capture option with a bad value or an unknown name; `option` names it. */
export class MotionOptionError extends Error {
  readonly code = 'BAD_MOTION_OPTION';

  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(`motion option ${option}: ${reason}`);
    this.name = 'MotionOptionError';
  }
}

/**
 * Merges `given` over `defaults`, refusing names `defaults` does not have (a typo in a camera's
 * configuration would otherwise be ignored silently) and `undefined` values.
 */
export function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!Object.hasOwn(defaults, name)) throw new MotionOptionError(name, 'unknown option');
    if (value === undefined) throw new MotionOptionError(name, 'must not be undefined');
    out[name] = value;
  }
  return out as T;
}

/** A finite number in [min, max]; `integer` also requires an integer. */
export function checkNumber(
  option: string,
  value: unknown,
  range: {
    readonly min: number;
    readonly max: number;
    readonly minExclusive?: boolean;
    readonly integer?: boolean;
  },
): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new MotionOptionError(option, `must be a finite number, got ${String(value)}`);
  if (range.integer && !Number.isInteger(value))
    throw new MotionOptionError(option, `must be an integer, got ${value}`);
  const low = range.minExclusive ? value <= range.min : value < range.min;
  if (low || value > range.max) {
    const open = range.minExclusive ? '(' : '[';
    throw new MotionOptionError(option, `must be in ${open}${range.min}, ${range.max}], got ${value}`);
  }
  return value;
}
