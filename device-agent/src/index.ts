/**
 * `@sealcam/device-agent`: the pieces of the agent that other programs may build on (the drill's
 * simulated devices): delivery, live streaming, sealing, pairing, sharing and state paths. Everything
 * else in src/ is the agent's own.
 */
export { Uploader, type UploadQueue } from './delivery/uploader.js';
export { type Logger, silentLogger } from './log.js';
export type { OutboxEntry } from './outbox/event-file.js';
export {
  completePairing,
  createInvitation,
  type PairedViewer,
  type PairingInvitation,
} from './pairing/device-pairing.js';
export { ClockAnswers } from './relay/clock-answers.js';
export { LiveConnection, type LiveConnectionEvents, type LiveState } from './relay/live-connection.js';
export { type RecordedEvent, type SealedEvent, sealRecordedEvent } from './seal/event-sealing.js';
export {
  LiveStreamSealer,
  type LiveStreamSealerOptions,
  type PreparedEpoch,
} from './seal/live-stream-sealer.js';
export { registerAccessList } from './sharing/access-list.js';
export { loadDeviceIdentity } from './state/identity-store.js';
export { type StatePaths, statePaths } from './state/paths.js';
export { loadViewerState, type ViewerState } from './state/viewers-store.js';
