import { spawnSync } from 'node:child_process';

/**
 * A missing system program fails the test run in CI; on a developer's machine the tests that need
 * it are skipped loudly.
 */
export function requireProgram(program: string): { skip: string | false } {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
  if (found) return { skip: false };
  if (process.env.CI) throw new Error(`${program} is required in CI but is not installed`);
  const reason = `SKIPPED: ${program} is not installed (install it to run these tests)`;
  console.warn(`\n*** ${reason} ***\n`);
  return { skip: reason };
}
