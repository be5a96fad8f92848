import type { FanOut, FrameSink } from './fan-out.js';

/**
 * TEST ONLY (SEALCAM_FAULT_INJECTION=delay-live): hands every live frame to the fan-out `delayMs`
 * late, in order, while manifests and clock proofs pass at once: a relay that answers viewers'
 * clock questions promptly but serves video recorded seconds ago as if it were live. Viewers must
 * show it as delayed (PROTOCOL.md §6.8). The hub uses this wrapper only when the seam is on.
 */
export function delayingSink(fanOut: FanOut, delayMs: number): FrameSink {
  return {
    deliverFrame(streamKey, wire, keyframe) {
      setTimeout(() => fanOut.deliverFrame(streamKey, wire, keyframe), delayMs).unref();
    },
    deliverSigned: (streamKey, wire) => fanOut.deliverSigned(streamKey, wire),
  };
}
