import { decodeLiveMessage, encodeLiveMessage, fromBase32 } from '@sealcam/protocol/relay-safe';
import type { Metrics } from '../ops/metrics.js';
import type { FanOut, FrameSink } from './fan-out.js';

/**
 * TEST ONLY (SEALCAM_FAULT_INJECTION=mixup, for the drill): wraps the fan-out so that, with
 * probability `rate`, a frame is also handed to another stream's viewers, relabelled as theirs. The
 * hub uses this wrapper only when the seam is on: otherwise the per-frame path has no fault check.
 */
export function misroutingSink(
  fanOut: FanOut,
  rate: number,
  random: () => number,
  metrics: Metrics,
): FrameSink {
  const misroute = (streamKey: string, wire: Uint8Array, keyframe: boolean) => {
    const others = [...fanOut.streamKeys()].filter((key) => key !== streamKey);
    if (others.length === 0) return;
    const target = others[Math.floor(random() * others.length)]!;
    const [deviceId, streamId] = target.split('/') as [string, string];
    const original = decodeLiveMessage(wire);
    const relabelled = encodeLiveMessage({ ...original, deviceId: fromBase32(deviceId), streamId });
    for (const viewer of fanOut.viewersOf(target) ?? []) viewer.sendFrame(target, relabelled, keyframe);
    metrics.faultMisroutes.inc({ where: 'fan-out' });
  };
  return {
    deliverFrame(streamKey, wire, keyframe) {
      fanOut.deliverFrame(streamKey, wire, keyframe);
      if (random() < rate) misroute(streamKey, wire, keyframe);
    },
    deliverSigned: (streamKey, wire) => fanOut.deliverSigned(streamKey, wire),
  };
}
