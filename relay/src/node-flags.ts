/**
 * The V8 heap flags the relay runs with: `npm start`, the `sealcam-relay` bin (its shebang) and the
 * test and bench launcher pass exactly these (relay/test/node-flags.test.ts keeps them in step).
 *
 * Every live frame is a Buffer whose bytes live outside the JS heap, and V8 counts external bytes
 * allocated since the last full collection against the old generation's limit. Once the first full
 * collection has sized that limit from the relay's small live heap (~40 MB), the frames in flight
 * alone keep reaching it, and V8 marks and compacts the whole heap every few tens of milliseconds.
 * `--initial-old-space-size` sets a floor under the limit (V8 skips full collections below it);
 * `--max-semi-space-size` lets frames in flight die young instead of being promoted. Together they
 * cut the relay's CPU per frame at saturation by about a quarter (see relay/README.md,
 * "Performance"). Neither may be set in NODE_OPTIONS (Node refuses the first one there).
 */
export const RELAY_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=64',
  '--initial-old-space-size=256',
];

/** Flag names V8 accepts with '_' or '-': `--initial_old_space_size=1` names `--initial-old-space-size`. */
function flagName(argument: string): string {
  return argument.split('=')[0]!.replaceAll('_', '-');
}

/** The relay flags that `execArgv` does not set (with any value: operators may tune them). */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(flagName));
  return RELAY_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}
