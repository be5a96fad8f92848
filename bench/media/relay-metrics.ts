/** Live frame payload the relay received from devices so far (its admin /metrics counters). */
export interface RelayFrameCounters {
  readonly frameBytes: number;
  readonly frames: number;
}

function sample(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

export async function relayFrameCounters(adminBase: string): Promise<RelayFrameCounters> {
  const response = await fetch(`${adminBase}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`relay /metrics: HTTP ${response.status}`);
  const text = await response.text();
  return {
    frameBytes: sample(text, /^sealcam_relay_bytes_in_total\{kind="frame"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/m),
    frames: sample(text, /^sealcam_relay_frames_in_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m),
  };
}
