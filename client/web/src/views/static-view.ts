import type { View } from './view.js';

/** A page whose content is made once and stays (adding cameras, this viewer). */
export class StaticView implements View {
  constructor(
    readonly element: HTMLElement,
    private readonly heading: string,
  ) {}

  show(): void {}

  hide(): void {}

  title(): string {
    return this.heading;
  }
}
