import type { DeviceId } from '../../../src/sdk/index.js';
import { h } from '../dom.js';
import type { CameraParts } from './camera-parts.js';
import type { View } from './view.js';

/** A day input's value (YYYY-MM-DD) as that local day's first and last millisecond. */
export function localDay(value: string): { from: number; to: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const from = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
  const to = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + 1).getTime() - 1;
  return Number.isFinite(from) ? { from, to } : undefined;
}

/**
 * Review: every camera's events, newest first, one section per gateway; filters by camera, day and
 * kind (kept in this page, never in the URL: the address goes to the server on a reload). The owner
 * selects and deletes (each gateway's own tools), plays a clip and downloads it as MP4.
 * Filters are applied by the timelines themselves (a day re-lists from that day's end).
 */
export class EventsView implements View {
  private readonly camera: HTMLSelectElement;
  private readonly day: HTMLInputElement;
  private readonly kind: HTMLSelectElement;
  private readonly sections: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly made = new Map<DeviceId, HTMLElement>();

  constructor(
    readonly element: HTMLElement,
    private readonly parts: CameraParts,
  ) {
    this.camera = h('select', { id: 'filter-camera', 'data-testid': 'filter-camera' });
    this.day = h('input', { id: 'filter-day', type: 'date', 'data-testid': 'filter-day' });
    this.kind = h('select', { id: 'filter-kind', 'data-testid': 'filter-kind' });
    const clear = h('button', { type: 'button', class: 'button small secondary' }, 'Clear filters');
    clear.addEventListener('click', () => {
      this.camera.value = '';
      this.day.value = '';
      this.kind.value = '';
      this.apply();
    });
    for (const input of [this.camera, this.day, this.kind])
      input.addEventListener('change', () => this.apply());
    // The choices of kinds grow as events verify: offered fresh whenever the list is opened.
    this.kind.addEventListener('focus', () => this.fillKinds());
    this.kind.addEventListener('pointerdown', () => this.fillKinds());
    this.sections = h('div', { class: 'event-sections' });
    this.empty = h(
      'p',
      { class: 'empty', hidden: true },
      'No cameras yet. ',
      h('a', { href: '/add' }, 'Pair a camera'),
    );
    element.append(
      h(
        'form',
        { class: 'event-filters', 'aria-label': 'Filter events', role: 'search' },
        h('label', { for: 'filter-camera' }, 'Camera'),
        this.camera,
        h('label', { for: 'filter-day' }, 'Day'),
        this.day,
        h('label', { for: 'filter-kind' }, 'Kind'),
        this.kind,
        clear,
      ),
      this.empty,
      this.sections,
    );
    this.element.querySelector('form')?.addEventListener('submit', (event) => event.preventDefault());
  }

  title(): string {
    return 'Events';
  }

  show(): void {
    this.fillCameras();
    this.fillKinds();
    this.apply();
  }

  /** The timelines go back to showing everything (a camera page, live rows and notifications need it). */
  hide(): void {
    for (const camera of this.parts.cameras()) this.parts.timeline(camera.deviceId)?.setFilter({});
  }

  /** Each gateway's section with its timeline (taken back from a camera page, if one showed it). */
  private apply(): void {
    const [device, stream] = this.camera.value.split('/') as [string, string | undefined];
    const day = localDay(this.day.value);
    const cameras = this.parts.cameras();
    this.empty.hidden = cameras.length > 0;
    const sections: HTMLElement[] = [];
    for (const deviceId of this.made.keys())
      if (!cameras.some((camera) => camera.deviceId === deviceId)) this.made.delete(deviceId);
    for (const camera of cameras) {
      const timeline = this.parts.timeline(camera.deviceId);
      if (!timeline) continue;
      if (device && device !== camera.deviceId) {
        timeline.setFilter({});
        continue;
      }
      timeline.setFilter({
        ...(stream ? { streamId: stream } : {}),
        ...(this.kind.value ? { kind: this.kind.value } : {}),
        ...(day ? { day } : {}),
      });
      sections.push(this.section(camera.deviceId, timeline.element));
    }
    // Only what changed moves: a moved element loses focus (a checkbox being ticked).
    const current = Array.from(this.sections.children);
    if (current.length !== sections.length || current.some((each, i) => each !== sections[i]))
      this.sections.replaceChildren(...sections);
  }

  /** A gateway's section (kept, so that showing it again moves nothing), named as it is now. */
  private section(deviceId: DeviceId, timeline: HTMLElement): HTMLElement {
    const name = this.parts.cameraName(deviceId);
    let section = this.made.get(deviceId);
    if (!section) {
      section = h('section', { class: 'event-section', 'data-device-id': deviceId }, h('h3', {}), timeline);
      this.made.set(deviceId, section);
    }
    section.setAttribute('aria-label', name);
    const heading = section.firstElementChild as HTMLElement;
    if (heading.textContent !== name) heading.textContent = name;
    if (timeline.parentElement !== section) section.append(timeline);
    return section;
  }

  private fillCameras(): void {
    const chosen = this.camera.value;
    const options = [h('option', { value: '' }, 'All cameras')];
    for (const camera of this.parts.cameras()) {
      if (camera.distrusted) continue;
      const gateway = this.parts.cameraName(camera.deviceId);
      if (camera.cameras.length !== 1)
        options.push(h('option', { value: camera.deviceId }, `${gateway} (all)`));
      for (const each of camera.cameras)
        options.push(
          h('option', { value: `${camera.deviceId}/${each.streamId}` }, `${each.name} · ${gateway}`),
        );
    }
    this.camera.replaceChildren(...options);
    this.camera.value = options.some((option) => option.value === chosen) ? chosen : '';
  }

  private fillKinds(): void {
    const chosen = this.kind.value;
    const kinds = new Set<string>();
    for (const camera of this.parts.cameras())
      for (const kind of this.parts.timeline(camera.deviceId)?.kinds ?? []) kinds.add(kind);
    if (chosen) kinds.add(chosen);
    this.kind.replaceChildren(
      h('option', { value: '' }, 'All kinds'),
      ...[...kinds].sort().map((kind) => h('option', { value: kind }, kind)),
    );
    this.kind.value = chosen;
  }
}
