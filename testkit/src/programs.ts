import { spawnSync } from 'node:child_process';

/**
 * Tests run against real programs (redis-server, ffmpeg, chromium). A missing one fails the test
 * file at once with the install command — never a silent or skipped test. `.ci/run` installs them.
 * Shared by every package's tests (@sealcam/testkit/programs).
 */
export function requireProgram(program: string, debianPackage = program): void {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
  if (!found)
    throw new Error(
      `${program} is required by these tests but is not installed: apt-get install -y ${debianPackage}`,
    );
}

/** Fails (never skips) when gst-launch-1.0 or one of these elements is missing; `packages` says what to install. */
export function requireGstreamer(elements: readonly string[], packages: string): void {
  requireProgram('gst-launch-1.0', packages);
  const missing = elements.filter(
    (element) => spawnSync('gst-inspect-1.0', ['--exists', element]).status !== 0,
  );
  if (missing.length > 0)
    throw new Error(
      `GStreamer elements ${missing.join(', ')} are required by these tests but are not installed: apt-get install -y ${packages}`,
    );
}
