import { h } from '../dom.js';

/** What a page says for a camera this viewer does not hold (removed, or an old link). */
export function noSuchCamera(): HTMLElement {
  return h(
    'p',
    { class: 'empty', 'data-testid': 'no-such-camera' },
    'This viewer holds no such camera (it was removed, or the link is from another viewer). ',
    h('a', { href: '/' }, 'See all cameras'),
  );
}
