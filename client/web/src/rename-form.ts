import { h, setStatus, statusLine } from './dom.js';
import { describeError } from './notice.js';

/**
 * A "Rename" button that turns into a small form in place: Save calls `save` with the trimmed name
 * (an error is shown in the form, which stays open), Cancel or success brings the button back.
 */
export function renameButton(options: {
  /** Unique within the page: the input's id. */
  readonly id: string;
  /** What is renamed, for the input's label ("Camera name"). */
  readonly label: string;
  /** The button's accessible name when "Rename" alone would be ambiguous. */
  readonly buttonLabel?: string;
  readonly current: () => string;
  readonly save: (name: string) => Promise<void>;
}): HTMLElement {
  const holder = h('span', { class: 'rename' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button small secondary',
      ...(options.buttonLabel ? { 'aria-label': options.buttonLabel } : {}),
    },
    'Rename',
  );
  button.addEventListener('click', () => {
    const input = h('input', { id: options.id, value: options.current(), maxlength: '64', required: true });
    const save = h('button', { type: 'submit', class: 'button small' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'button small secondary' }, 'Cancel');
    const status = statusLine();
    const form = h(
      'form',
      { class: 'rename-form' },
      h('label', { for: options.id, class: 'visually-hidden' }, options.label),
      input,
      save,
      cancel,
      status,
    );
    const restore = () => {
      form.replaceWith(button);
      button.focus();
    };
    cancel.addEventListener('click', restore);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      save.disabled = true;
      try {
        await options.save(name);
        restore();
      } catch (error) {
        setStatus(status, describeError(error).message, 'error');
      } finally {
        save.disabled = false;
      }
    });
    button.replaceWith(form);
    input.focus();
    input.select();
  });
  holder.append(button);
  return holder;
}
