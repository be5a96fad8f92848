import { h } from './dom.js';

/** The parts of the Barcode Detection API used here (not in TypeScript's DOM types yet). */
interface DetectedBarcode {
  readonly rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats?(): Promise<string[]>;
}

function detectorClass(): BarcodeDetectorClass | undefined {
  return 'BarcodeDetector' in window
    ? (window as unknown as { BarcodeDetector: BarcodeDetectorClass }).BarcodeDetector
    : undefined;
}

/** Whether this browser can scan QR codes here (BarcodeDetector with QR, and a camera API). */
export async function canScanQr(): Promise<boolean> {
  const Detector = detectorClass();
  if (!Detector || !navigator.mediaDevices?.getUserMedia) return false;
  try {
    const formats = (await Detector.getSupportedFormats?.()) ?? ['qr_code'];
    return formats.includes('qr_code');
  } catch {
    return false;
  }
}

/**
 * Scans a QR code with the phone's camera in a modal dialog; resolves with its text, or null when
 * the user cancels. The video stays on this device; the camera is released as soon as it is done.
 */
export function scanQr(): Promise<string | null> {
  const Detector = detectorClass();
  if (!Detector) return Promise.resolve(null);
  const detector = new Detector({ formats: ['qr_code'] });
  const video = h('video', { class: 'scanner-video', muted: true, playsinline: true, 'aria-hidden': 'true' });
  const status = h('p', { class: 'form-status', 'aria-live': 'polite' }, 'Starting the camera…');
  const cancel = h('button', { type: 'button', class: 'button secondary' }, 'Cancel');
  const dialog = h(
    'dialog',
    { class: 'scanner', 'aria-labelledby': 'scanner-title' },
    h('h2', { id: 'scanner-title' }, 'Scan the pairing QR code'),
    h('p', { class: 'help' }, 'Point the camera at the QR code that "sealcam-agent pair" shows.'),
    video,
    status,
    h('div', { class: 'button-row' }, cancel),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (value: string | null) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
      video.srcObject = null;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(null));
    dialog.addEventListener('close', () => finish(null));
    const look = async () => {
      if (done) return;
      try {
        if (video.readyState >= 2) {
          const found = (await detector.detect(video))[0];
          if (found?.rawValue) {
            finish(found.rawValue);
            return;
          }
        }
      } catch {
        // a frame that could not be scanned: try the next one
      }
      timer = setTimeout(() => void look(), 250);
    };
    dialog.showModal();
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (media) => {
        stream = media;
        if (done) {
          for (const track of media.getTracks()) track.stop();
          return;
        }
        video.srcObject = media;
        await video.play();
        status.textContent = 'Looking for a QR code…';
        void look();
      })
      .catch((error: Error) => {
        status.textContent = `The camera could not be used (${error.name}). Paste the code instead.`;
      });
  });
}
