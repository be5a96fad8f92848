import type { Camera, RevocationTicket, Viewer, ViewerId } from '../../src/sdk/index.js';
import { recogniseCode } from './codes.js';
import { copyButton } from './copy-button.js';
import { h, replace, setStatus, statusLine, uid } from './dom.js';
import { groupId } from './format.js';
import { describeError } from './notice.js';

const DAY = 24 * 60 * 60 * 1000;
const EXPIRY_CHOICES: readonly (readonly [string, number])[] = [
  ['Never', 0],
  ['1 day', DAY],
  ['1 week', 7 * DAY],
  ['30 days', 30 * DAY],
];
/** After a revocation: how long, and how often, to re-read the device's access list. */
const REVOKE_WAIT_MS = 30_000;
const REVOKE_POLL_MS = 2000;

/**
 * Who may see one camera (the device's own signed access list, verified by the SDK) and, for the
 * owner, sharing: paste another viewer's share code to get an invite code for them, and revoke.
 */
export class SharePanel {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly listStatus: HTMLParagraphElement;
  private closed = false;

  constructor(
    private readonly viewer: Viewer,
    private readonly camera: Camera,
  ) {
    this.list = h('ul', { class: 'viewer-list', 'aria-label': 'Viewers of this camera' });
    this.listStatus = statusLine();
    const refresh = h('button', { type: 'button', class: 'button small secondary' }, 'Refresh list');
    refresh.addEventListener('click', () => void this.refresh());
    this.element = h(
      'div',
      { class: 'share-panel' },
      this.list,
      h('div', { class: 'button-row' }, refresh, this.listStatus),
      camera.access === 'owner'
        ? this.grantForm()
        : h('p', { class: 'help' }, 'Only the camera’s owner can share it or revoke viewers.'),
    );
  }

  start(): void {
    void this.refresh();
  }

  /** Reads the access list again; resolves with the viewer ids on it (or null when unavailable). */
  async refresh(keepStatus = false): Promise<string[] | null> {
    if (!keepStatus) setStatus(this.listStatus, 'Loading…');
    try {
      const entries = await this.viewer.viewersOf(this.camera.deviceId);
      if (this.closed) return null;
      replace(this.list, ...entries.map((entry) => this.row(entry.viewerId, entry.access)));
      if (!keepStatus) setStatus(this.listStatus, entries.length === 0 ? 'Nobody is on the list yet.' : '');
      return entries.map((entry) => entry.viewerId);
    } catch (error) {
      setStatus(this.listStatus, `Could not load the list. ${describeError(error).message}`, 'warn');
      return null;
    }
  }

  private row(viewerId: ViewerId, access: 'owner' | 'viewer'): HTMLLIElement {
    const self = viewerId === this.viewer.id;
    const row = h(
      'li',
      { class: 'viewer-row', 'data-testid': 'viewer-row', 'data-viewer-id': viewerId, 'data-access': access },
      h('span', { class: 'fingerprint viewer-id' }, groupId(viewerId)),
      h('span', { class: 'badge' }, access === 'owner' ? 'owner' : 'viewer'),
      self ? h('span', { class: 'badge you' }, 'this viewer') : null,
    );
    if (this.camera.access === 'owner' && access !== 'owner' && !self)
      row.append(this.revokeControl(row, viewerId));
    return row;
  }

  private revokeControl(row: HTMLLIElement, viewerId: ViewerId): HTMLElement {
    const holder = h('span', { class: 'revoke' });
    const revoke = h(
      'button',
      {
        type: 'button',
        class: 'button small danger',
        'data-testid': 'revoke-button',
        'aria-label': `Revoke ${groupId(viewerId)}`,
      },
      'Revoke',
    );
    const status = statusLine();
    const ask = () => {
      const confirm = h(
        'button',
        { type: 'button', class: 'button small danger', 'data-testid': 'revoke-confirm' },
        'Yes, revoke',
      );
      const cancel = h('button', { type: 'button', class: 'button small secondary' }, 'Cancel');
      replace(
        holder,
        h('span', { class: 'revoke-question' }, 'Stop sharing with this viewer?'),
        confirm,
        cancel,
        status,
      );
      cancel.addEventListener('click', () => {
        replace(holder, revoke);
        revoke.focus();
      });
      confirm.addEventListener('click', () => void this.revoke(viewerId, row, confirm, cancel, status));
      confirm.focus();
    };
    revoke.addEventListener('click', ask);
    holder.append(revoke);
    return holder;
  }

  private async revoke(
    viewerId: ViewerId,
    row: HTMLLIElement,
    confirm: HTMLButtonElement,
    cancel: HTMLButtonElement,
    status: HTMLParagraphElement,
  ): Promise<void> {
    confirm.disabled = true;
    cancel.disabled = true;
    setStatus(status, 'Revoking…');
    let ticket: RevocationTicket;
    try {
      ticket = await this.viewer.revoke(this.camera.deviceId, viewerId);
    } catch (error) {
      setStatus(status, `Not revoked. ${describeError(error).message}`, 'error');
      confirm.disabled = false;
      cancel.disabled = false;
      return;
    }
    row.dataset.state = 'revoking';
    setStatus(status, 'Pending: sent, waiting for the camera to confirm.', 'ok');
    setStatus(
      this.listStatus,
      'Revocation pending. The camera applies it and switches to new keys without that viewer…',
      'ok',
    );
    // Done only on the camera's word: a newer signed access list without that viewer (a relay that
    // drops the revocation, or serves an older list, cannot make it look done).
    const deadline = Date.now() + REVOKE_WAIT_MS;
    while (!this.closed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, REVOKE_POLL_MS));
      const state = await this.viewer.revocationState(ticket).catch(() => ({ done: false }));
      if (state.done) {
        await this.refresh(true);
        setStatus(
          this.listStatus,
          'Revoked: the camera confirmed it and no longer seals anything for that viewer.',
          'ok',
        );
        return;
      }
    }
    if (!this.closed)
      setStatus(
        this.listStatus,
        'Still pending: the camera has not confirmed the revocation (is it online?). It applies it when it next connects; until then that viewer keeps access.',
        'warn',
      );
  }

  private grantForm(): HTMLElement {
    const inputId = uid('grant-input');
    const expiryId = uid('grant-expiry');
    const input = h('input', {
      id: inputId,
      class: 'code-input',
      'data-testid': 'grant-input',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      placeholder: 'SCV1-…',
      required: true,
    });
    const expiry = h(
      'select',
      { id: expiryId, 'data-testid': 'grant-expiry' },
      ...EXPIRY_CHOICES.map(([label, ms]) => h('option', { value: String(ms) }, label)),
    );
    const submit = h('button', { type: 'submit', class: 'button', 'data-testid': 'grant-submit' }, 'Share');
    const status = statusLine();
    const output = h('div', { class: 'invite', hidden: true });
    const form = h(
      'form',
      { class: 'form', 'aria-label': 'Share this camera' },
      h('h4', {}, 'Share this camera'),
      h(
        'p',
        { class: 'help' },
        'Ask the other person for their share code (under “This viewer” in their viewer) and paste it here.',
      ),
      h('label', { for: inputId }, 'Their share code'),
      input,
      h('label', { for: expiryId }, 'Access ends'),
      expiry,
      h('div', { class: 'button-row' }, submit),
      status,
      output,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const found = recogniseCode(input.value);
      if (found && found.kind !== 'share') {
        setStatus(status, 'That is not a share code: a share code starts with SCV1-.', 'error');
        return;
      }
      submit.disabled = true;
      setStatus(status, 'Sharing…');
      output.hidden = true;
      const ms = Number(expiry.value);
      try {
        const invite = await this.viewer.grant(
          this.camera.deviceId,
          found?.code ?? input.value,
          ms > 0 ? { expiresAt: Date.now() + ms } : {},
        );
        const code = h('code', { class: 'code', 'data-testid': 'invite-output' }, invite);
        replace(
          output,
          h('p', {}, 'Give this invite code to that person; they paste it under “Accept an invite”:'),
          code,
          copyButton(code),
        );
        output.hidden = false;
        input.value = '';
        setStatus(status, 'Shared. The camera applies the grant when it is online.', 'ok');
        setTimeout(() => void this.refresh(), 3000);
      } catch (error) {
        setStatus(status, `Not shared. ${describeError(error).message}`, 'error');
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  close(): void {
    this.closed = true;
  }
}
