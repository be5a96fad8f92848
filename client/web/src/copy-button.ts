import { h } from './dom.js';

/**
 * A "Copy" button for a code shown in `source`. Uses the clipboard when the page may (secure
 * contexts); otherwise selects the code so the user can copy it by hand.
 */
export function copyButton(source: HTMLElement, label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'button small secondary' }, label);
  button.addEventListener('click', async () => {
    const text = source.textContent ?? '';
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      button.textContent = 'Selected: copy it';
    }
    setTimeout(() => {
      button.textContent = label;
    }, 2500);
  });
  return button;
}
