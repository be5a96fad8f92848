import type { View } from './view.js';

/** Home: every camera's live picture, in a grid that fills the width (live-grid.ts). */
export class HomeView implements View {
  constructor(readonly element: HTMLElement) {}

  show(): void {}

  hide(): void {}

  title(): string {
    return 'Live';
  }
}
