/**
 * Protocol benchmark: live-frame seal/open throughput against raw libsodium-wrappers AEAD calls
 * measured in the same run, and the CPU cost of sealing/opening a 1080p 4 Mbps stream.
 * Usage: npm run bench:protocol [-- --json]
 */
import { cpus } from 'node:os';
import { cpuUsage } from 'node:process';
import { Codec, FRAME_OVERHEAD_BYTES, FrameOpener, FrameSealer, ready } from '../src/index.js';
import { sodium } from '../src/sodium.js';
import { measureEventCost } from './event-cost.js';

await ready();

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run bench:protocol -- [--json]\n\n' +
      'sealcam protocol benchmark: live-frame seal/open throughput and 1080p CPU share next to raw\n' +
      'libsodium XChaCha20-Poly1305 calls in the same run. --json prints one JSON object.\n',
  );
  process.exit(0);
}
const json = process.argv.includes('--json');
const ROUNDS = 7;
const ROUND_MS = 150;
const SIZES = { '1KB': 1024, '16KB': 16 * 1024, '64KB': 64 * 1024 } as const;
const NOW = 1_767_225_600_000;
const DEVICE_ID = sodium.randombytes_buf(16);
const KEY = sodium.randombytes_buf(32);
const AAD = new Uint8Array(1 + 16 + 1 + 5 + 4 + 8);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs fn repeatedly for about ROUND_MS and returns MB/s of `bytes` per call (bounded in count and time). */
function throughput(bytes: number, fn: (i: number) => void): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS && count < 1_000_000) {
    for (let i = 0; i < 16; i++) fn(count++);
    elapsed = performance.now() - start;
  }
  return (bytes * count) / (elapsed / 1000) / 1e6;
}

function newStream(epoch: number) {
  const epochKey = sodium.randombytes_buf(32);
  const sealer = new FrameSealer({ deviceId: DEVICE_ID, streamId: 'bench', epoch, epochKey });
  const opener = new FrameOpener({ deviceId: DEVICE_ID, streamId: 'bench' });
  opener.addEpoch({ epoch, epochKey, notBefore: NOW, notAfter: NOW + 3_600_000 });
  return { sealer, opener };
}

interface SizeResult {
  sealMBps: number;
  openMBps: number;
  baselineEncryptMBps: number;
  baselineDecryptMBps: number;
  sealRatio: number;
  openRatio: number;
}

function measureSize(size: number, epoch: number): SizeResult {
  const payload = sodium.randombytes_buf(size);
  const nonce = new Uint8Array(24);
  const rawSealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, AAD, null, nonce, KEY);
  const seal: number[] = [];
  const open: number[] = [];
  const rawEncrypt: number[] = [];
  const rawDecrypt: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved so that machine noise hits the baseline and the protocol alike.
    rawEncrypt.push(
      throughput(size, () =>
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, AAD, null, nonce, KEY),
      ),
    );
    const { sealer, opener } = newStream(epoch * 100 + round);
    // Timed like the baseline: results are discarded, nothing is retained.
    seal.push(throughput(size, () => sealer.seal(payload, { keyframe: false, codec: Codec.H264AnnexB })));
    const { sealer: openSealer, opener: openerForBatch } = newStream(epoch * 100 + round + 50);
    const frames = Array.from({ length: Math.max(64, Math.round(40e6 / size)) }, () =>
      openSealer.seal(payload, { keyframe: false, codec: Codec.H264AnnexB }),
    );
    rawDecrypt.push(
      throughput(size, () =>
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, rawSealed, AAD, nonce, KEY),
      ),
    );
    // Opens exactly the frames this round sealed (counters must increase), timed as one batch.
    const start = performance.now();
    for (const frame of frames) openerForBatch.open(frame, NOW);
    opener.destroy();
    open.push((size * frames.length) / ((performance.now() - start) / 1000) / 1e6);
  }
  const result = {
    sealMBps: median(seal),
    openMBps: median(open),
    baselineEncryptMBps: median(rawEncrypt),
    baselineDecryptMBps: median(rawDecrypt),
  };
  return {
    ...result,
    sealRatio: result.sealMBps / result.baselineEncryptMBps,
    openRatio: result.openMBps / result.baselineDecryptMBps,
  };
}

/**
 * 1080p at 4 Mbps: 30 fps, a 145 KB keyframe every 2 s and 14.5 KB frames between
 * (145 KB + 59 x 14.5 KB per 2 s = 500 KB/s). Sealing and opening run as fast as possible over
 * SIMULATED_SECONDS of video; CPU time divided by simulated time is the share of one core.
 */
const SIMULATED_SECONDS = 40;

function gop(): { size: number; keyframe: boolean }[] {
  return Array.from({ length: 60 }, (_, i) => ({ size: i === 0 ? 145_000 : 14_500, keyframe: i === 0 }));
}

function cpuMs(fn: () => void): number {
  const before = cpuUsage();
  fn();
  const used = cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function measure1080p() {
  const pattern = gop();
  const payloads = pattern.map((frame) => sodium.randombytes_buf(frame.size));
  const groups = SIMULATED_SECONDS / 2;
  const seal: number[] = [];
  const open: number[] = [];
  const raw: number[] = [];
  const rawOpen: number[] = [];
  const nonce = new Uint8Array(24);
  for (let round = 0; round < 5; round++) {
    const rawSealed = payloads.map((p) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(p, AAD, null, nonce, KEY),
    );
    raw.push(
      cpuMs(() => {
        for (let g = 0; g < groups; g++) {
          for (const p of payloads)
            sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(p, AAD, null, nonce, KEY);
        }
      }),
    );
    rawOpen.push(
      cpuMs(() => {
        for (let g = 0; g < groups; g++) {
          for (const s of rawSealed)
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, s, AAD, nonce, KEY);
        }
      }),
    );
    const { sealer, opener } = newStream(10_000 + round);
    const sealed: Uint8Array[] = [];
    seal.push(
      cpuMs(() => {
        for (let g = 0; g < groups; g++) {
          pattern.forEach((frame, i) => {
            sealed.push(sealer.seal(payloads[i]!, { keyframe: frame.keyframe, codec: Codec.H264AnnexB }));
          });
        }
      }),
    );
    open.push(
      cpuMs(() => {
        for (const frame of sealed) opener.open(frame, NOW);
      }),
    );
  }
  const percent = (ms: number) => (ms / (SIMULATED_SECONDS * 1000)) * 100;
  return {
    sealCorePercent1080p: percent(median(seal)),
    openCorePercent1080p: percent(median(open)),
    baselineEncryptCorePercent1080p: percent(median(raw)),
    baselineDecryptCorePercent1080p: percent(median(rawOpen)),
  };
}

const overheadProbe = newStream(1).sealer.seal(new Uint8Array(1000), { keyframe: false, codec: 1 });
const frameOverheadBytes = overheadProbe.length - 1000;
if (frameOverheadBytes !== FRAME_OVERHEAD_BYTES)
  throw new Error('overhead differs from the published constant');

// Warm-up so the JIT has compiled both code paths before any round is measured.
measureSize(4096, 99);

const sizes: Record<string, SizeResult> = {};
let epoch = 1;
for (const [label, size] of Object.entries(SIZES)) sizes[label] = measureSize(size, epoch++);
const stream = measure1080p();
measureEventCost(1, 50); // warm-up
const event = measureEventCost(ROUNDS, ROUND_MS);

const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const result = {
  benchmark: 'protocol',
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  frameOverheadBytes,
  sealMBps: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, round(v.sealMBps, 1)])),
  openMBps: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, round(v.openMBps, 1)])),
  baselineEncryptMBps: Object.fromEntries(
    Object.entries(sizes).map(([k, v]) => [k, round(v.baselineEncryptMBps, 1)]),
  ),
  baselineDecryptMBps: Object.fromEntries(
    Object.entries(sizes).map(([k, v]) => [k, round(v.baselineDecryptMBps, 1)]),
  ),
  sealRatio: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, round(v.sealRatio)])),
  openRatio: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, round(v.openRatio)])),
  sealCorePercent1080p: round(stream.sealCorePercent1080p, 4),
  openCorePercent1080p: round(stream.openCorePercent1080p, 4),
  baselineEncryptCorePercent1080p: round(stream.baselineEncryptCorePercent1080p, 4),
  baselineDecryptCorePercent1080p: round(stream.baselineDecryptCorePercent1080p, 4),
  sealCoreRatio1080p: round(stream.sealCorePercent1080p / stream.baselineEncryptCorePercent1080p),
  openCoreRatio1080p: round(stream.openCorePercent1080p / stream.baselineDecryptCorePercent1080p),
  targetCorePercent1080p: 0.3,
  event: {
    sealMicros: round(event.sealMicros, 1),
    openMicros: round(event.openMicros, 1),
    baselineSealMicros: round(event.baselineSealMicros, 1),
    baselineOpenMicros: round(event.baselineOpenMicros, 1),
    sealRatio: round(event.sealRatio),
    openRatio: round(event.openRatio),
    envelopeBytes: event.envelopeBytes,
    sealedRecordBytes: event.sealedRecordBytes,
  },
  method: `median of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms per size; 1080p: CPU time (user+system) over ${SIMULATED_SECONDS} s of simulated video, median of 5 rounds; baseline = raw crypto_aead_xchacha20poly1305_ietf_encrypt/decrypt on the same sizes with a same-length AAD; event: median of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms, baseline = the raw Ed25519 sign/verify of the envelope body and the record AEAD`,
};

if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  console.log(
    `protocol benchmark — ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`,
  );
  console.log(`per-frame overhead: ${frameOverheadBytes} bytes (8-byte header + 16-byte tag)\n`);
  console.log('frame  | seal MB/s | raw enc MB/s | ratio | open MB/s | raw dec MB/s | ratio');
  console.log('-------|-----------|--------------|-------|-----------|--------------|------');
  for (const [label, v] of Object.entries(sizes)) {
    console.log(
      `${label.padEnd(6)} | ${v.sealMBps.toFixed(1).padStart(9)} | ${v.baselineEncryptMBps.toFixed(1).padStart(12)} | ${v.sealRatio.toFixed(2).padStart(5)} | ${v.openMBps.toFixed(1).padStart(9)} | ${v.baselineDecryptMBps.toFixed(1).padStart(12)} | ${v.openRatio.toFixed(2).padStart(5)}`,
    );
  }
  console.log(
    `\n1080p 4 Mbps (30 fps, 145 KB keyframe / 2 s, 14.5 KB frames): seal ${result.sealCorePercent1080p}% of one core (raw AEAD ${result.baselineEncryptCorePercent1080p}%, ratio ${result.sealCoreRatio1080p}), open ${result.openCorePercent1080p}% (raw ${result.baselineDecryptCorePercent1080p}%, ratio ${result.openCoreRatio1080p}); target <= 0.3%`,
  );
  console.log(
    `\nevent (thumbnail, 8 chunks, 4 labels, 2 recipients; envelope ${event.envelopeBytes} B, sealed record ${event.sealedRecordBytes} B): finish ${result.event.sealMicros} µs (raw sign + record AEAD ${result.event.baselineSealMicros} µs, ratio ${result.event.sealRatio}), openEvent ${result.event.openMicros} µs (raw verify + record AEAD ${result.event.baselineOpenMicros} µs, ratio ${result.event.openRatio})`,
  );
  console.log(`method: ${result.method}`);
}
