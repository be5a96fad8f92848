import type { Route } from '../lib/router.js';

/**
 * A page of the app. Its element is a section of index.html, shown alone; `show` fills it for a
 * route (it may borrow shared parts: a live tile, a camera's event timeline) and `hide` gives back
 * what it borrowed. `title` names the page for the document title and the heading.
 */
export interface View {
  readonly element: HTMLElement;
  show(route: Route): void;
  hide(): void;
  title(): string;
}
