import type { Camera, Viewer } from '../../src/sdk/index.js';
import { parseInviteCode } from '../../src/sdk/index.js';
import { recogniseCode, sameOrigin } from './codes.js';
import { h, setStatus, statusLine } from './dom.js';
import { describeError, isVerificationFailure, pairingTimedOut } from './notice.js';
import { canScanQr, scanQr } from './qr-scanner.js';
import type { WarningBanner } from './warning-banner.js';

export interface AddFormsOptions {
  readonly viewer: Viewer;
  readonly warnings: WarningBanner;
  /** This page's origin (a pairing link opened elsewhere is for another app). */
  readonly origin: string;
  /** The relays (origins) this page may talk to under its CSP: its own origin when a relay serves it. */
  readonly relays: readonly string[];
  /** A camera was added: show it (and, after pairing, ask to compare the safety number). */
  onAdded(camera: Camera, how: 'paired' | 'invited'): void;
}

/** "Pair a camera" (code, link or QR code) and "Accept an invite". */
export class AddForms {
  readonly element: HTMLElement;
  private readonly pairInput: HTMLInputElement;
  private readonly pairSubmit: HTMLButtonElement;
  private readonly pairStatus: HTMLParagraphElement;
  private readonly inviteInput: HTMLInputElement;
  private readonly inviteSubmit: HTMLButtonElement;
  private readonly inviteStatus: HTMLParagraphElement;
  private pairing = false;

  constructor(private readonly options: AddFormsOptions) {
    this.pairInput = h('input', {
      id: 'pair-input',
      class: 'code-input',
      'data-testid': 'pair-input',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      placeholder: 'SCP1-… or …/pair#SCP1-…',
      'aria-describedby': 'pair-help',
    });
    this.pairSubmit = h('button', { type: 'submit', class: 'button', 'data-testid': 'pair-submit' }, 'Pair');
    const scan = h(
      'button',
      { type: 'button', class: 'button secondary', 'data-testid': 'scan-qr', hidden: true },
      'Scan QR code',
    );
    this.pairStatus = statusLine();
    this.pairStatus.dataset.testid = 'pair-status';
    const pairForm = h(
      'form',
      { class: 'form', 'aria-labelledby': 'pair-title' },
      h('h3', { id: 'pair-title' }, 'Pair a camera'),
      h(
        'p',
        { class: 'help', id: 'pair-help' },
        'Run "sealcam-agent pair" on the camera gateway, then open its link, scan its QR code, or paste ' +
          'the code or link here. The code carries a one-time secret: it never reaches the relay.',
      ),
      h('label', { for: 'pair-input' }, 'Pairing code or link'),
      this.pairInput,
      h('div', { class: 'button-row' }, this.pairSubmit, scan),
      this.pairStatus,
    );
    pairForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitPair(this.pairInput.value);
    });
    void canScanQr().then((able) => {
      scan.hidden = !able;
    });
    scan.addEventListener('click', async () => {
      const text = await scanQr();
      if (text === null) return;
      this.pairInput.value = text;
      void this.submitPair(text);
    });

    this.inviteInput = h('input', {
      id: 'invite-input',
      class: 'code-input',
      'data-testid': 'invite-input',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      placeholder: 'SCI1-…',
      'aria-describedby': 'invite-help',
    });
    this.inviteSubmit = h(
      'button',
      { type: 'submit', class: 'button', 'data-testid': 'invite-submit' },
      'Accept invite',
    );
    this.inviteStatus = statusLine();
    this.inviteStatus.dataset.testid = 'invite-status';
    const inviteForm = h(
      'form',
      { class: 'form', 'aria-labelledby': 'invite-title' },
      h('h3', { id: 'invite-title' }, 'Accept an invite'),
      h(
        'p',
        { class: 'help', id: 'invite-help' },
        'A camera’s owner shared it with you? Paste the invite code they gave you (it starts with SCI1-).',
      ),
      h('label', { for: 'invite-input' }, 'Invite code'),
      this.inviteInput,
      h('div', { class: 'button-row' }, this.inviteSubmit),
      this.inviteStatus,
    );
    inviteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitInvite(this.inviteInput.value);
    });
    this.element = h('div', { class: 'add-forms-inner' }, pairForm, inviteForm);
  }

  /** Pairs with the code or link in `text` (the form, a scanned QR code or the page's link). */
  async submitPair(text: string): Promise<void> {
    if (this.pairing) return;
    const found = recogniseCode(text);
    if (!found) {
      setStatus(
        this.pairStatus,
        'That is not a pairing code: it starts with SCP1- (or is a link ending in #SCP1-…).',
        'error',
      );
      return;
    }
    if (found.kind === 'invite') {
      this.inviteInput.value = found.code;
      return this.submitInvite(found.code);
    }
    if (found.kind === 'share') {
      setStatus(
        this.pairStatus,
        'That is a viewer’s share code (SCV1-). To share a camera you own with that viewer, paste it under the camera’s “Share this camera”.',
        'error',
      );
      return;
    }
    if (found.origin && !sameOrigin(found.origin, this.options.origin)) {
      setStatus(
        this.pairStatus,
        `This link is for the viewer at ${found.origin}, but this viewer is ${this.options.origin}. Open the link itself to pair there.`,
        'error',
      );
      return;
    }
    this.pairing = true;
    this.pairInput.disabled = true;
    this.pairSubmit.disabled = true;
    this.pairInput.value = found.code;
    setStatus(
      this.pairStatus,
      'Pairing… waiting for the camera to answer (keep "sealcam-agent pair" running).',
    );
    try {
      const camera = await this.options.viewer.pair(found.code, { name: 'web viewer' });
      this.pairInput.value = '';
      setStatus(
        this.pairStatus,
        `Paired with ${camera.name}. Compare the safety number shown with the camera’s.`,
        'ok',
      );
      this.options.onAdded(camera, 'paired');
    } catch (error) {
      setStatus(this.pairStatus, pairingMessage(error), 'error');
      if (isVerificationFailure(error)) this.options.warnings.report('Pairing', error);
    } finally {
      this.pairing = false;
      this.pairInput.disabled = false;
      this.pairSubmit.disabled = false;
    }
  }

  async submitInvite(text: string): Promise<void> {
    const found = recogniseCode(text);
    if (found?.kind !== 'invite') {
      setStatus(this.inviteStatus, 'That is not an invite code: it starts with SCI1-.', 'error');
      return;
    }
    let relayUrl: string;
    try {
      relayUrl = parseInviteCode(found.code).relayUrl;
    } catch (error) {
      setStatus(this.inviteStatus, describeError(error).message, 'error');
      return;
    }
    if (!this.options.relays.some((relay) => sameOrigin(relayUrl, relay))) {
      setStatus(
        this.inviteStatus,
        `This invite is for the relay at ${relayUrl}; this viewer can only reach ${this.options.relays.join(', ')}. Open the viewer of that relay to accept it.`,
        'error',
      );
      return;
    }
    this.inviteInput.disabled = true;
    this.inviteSubmit.disabled = true;
    setStatus(this.inviteStatus, 'Waiting for the camera to accept the grant…');
    try {
      const camera = await this.options.viewer.acceptInvite(found.code);
      this.inviteInput.value = '';
      setStatus(this.inviteStatus, `Added ${camera.name}.`, 'ok');
      this.options.onAdded(camera, 'invited');
    } catch (error) {
      const notice = describeError(error);
      setStatus(
        this.inviteStatus,
        notice.reason === 'NO_GRANT'
          ? 'The camera has not accepted the grant yet (is it online?). Try again in a moment.'
          : `Not added. ${notice.message}`,
        'error',
      );
      if (isVerificationFailure(error)) this.options.warnings.report('Invite', error);
    } finally {
      this.inviteInput.disabled = false;
      this.inviteSubmit.disabled = false;
    }
  }
}

function pairingMessage(error: unknown): string {
  if (pairingTimedOut(error))
    return 'The camera did not answer in time. Run "sealcam-agent pair" again and use its new code.';
  const notice = describeError(error);
  if (notice.reason === 'INVALID_CODE')
    return 'This pairing code is not valid: check it was copied completely (or ask the camera for a new one).';
  if (notice.reason === 'UNREACHABLE')
    return `${notice.message} If the code is for another relay, open the viewer of that relay instead.`;
  return `Pairing failed. ${notice.message}`;
}
