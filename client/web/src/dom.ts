/**
 * A small element builder. Text always goes in as text nodes (never as HTML), and attributes are
 * set one by one: nothing from the relay or a camera can become markup or script.
 */
export type Child = Node | string | number | null | undefined | false;
export type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.toLowerCase().startsWith('on')) throw new Error(`no inline handlers (${name})`);
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A status line for a form: polite live region, styled by `data-tone`. */
export function statusLine(): HTMLParagraphElement {
  return h('p', { class: 'form-status', 'aria-live': 'polite' });
}

export function setStatus(
  line: HTMLElement,
  text: string,
  tone: 'info' | 'ok' | 'warn' | 'error' = 'info',
): void {
  line.textContent = text;
  line.dataset.tone = tone;
}
