import type { Camera, Viewer } from '../../src/sdk/index.js';
import { h, setStatus, statusLine } from './dom.js';
import { renameButton } from './rename-form.js';

/** How long the page waits for the device to sign a profile with the new name before saying it is pending. */
const APPLY_WAIT_MS = 30_000;

/**
 * The cameras of one gateway with the names the device gives them (opened from its sealed profile);
 * the owner renames each from here. A rename is sealed to the device and signed by the owner
 * (Viewer.renameCamera); the page waits, bounded, for the device's newly signed profile to show it.
 */
export class CameraNames {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;

  constructor(
    private readonly viewer: Viewer,
    private camera: Camera,
    /** Called once the device's profile shows a change (the app refreshes every view of the camera). */
    private readonly onChanged: () => void,
  ) {
    this.list = h('ul', { class: 'camera-names', 'data-testid': 'camera-names' });
    this.status = statusLine();
    this.element = h('div', {}, this.list, this.status);
    this.render();
  }

  update(camera: Camera): void {
    this.camera = camera;
    this.render();
  }

  private render(): void {
    const { camera } = this;
    if (camera.cameras.length === 0) {
      this.list.replaceChildren(
        h('li', { class: 'muted' }, 'The camera has not told this viewer its camera names yet.'),
      );
      return;
    }
    this.list.replaceChildren(
      ...camera.cameras.map((stream) =>
        h(
          'li',
          { 'data-stream-id': stream.streamId, 'data-camera-name': stream.name },
          h('span', { class: 'camera-names-name' }, stream.name),
          camera.access === 'owner'
            ? renameButton({
                id: `rename-${camera.deviceId}-${stream.streamId}`,
                label: 'Camera name',
                buttonLabel: `Rename ${stream.name}`,
                current: () => stream.name,
                save: (name) => this.rename(stream.streamId, name),
              })
            : '',
        ),
      ),
    );
  }

  /** Sends the rename, then waits (bounded) for the device's profile to show it. `streamId` null: the gateway. */
  async rename(streamId: Camera['cameras'][number]['streamId'] | null, name: string): Promise<void> {
    const { deviceId } = this.camera;
    await this.viewer.renameCamera(deviceId, streamId, name);
    setStatus(this.status, 'Sent to the camera: it applies the name when it is online.', 'info');
    const deadline = Date.now() + APPLY_WAIT_MS;
    while (Date.now() < deadline) {
      const profile = await this.viewer.profile(deviceId).catch(() => null);
      const applied =
        streamId === null
          ? profile?.gatewayName === name
          : profile?.cameras.some((c) => c.streamId === streamId && c.name === name);
      if (applied) {
        setStatus(this.status, `Renamed to "${name}".`, 'ok');
        this.onChanged();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
