import { h } from './dom.js';
import { splitTaskId } from './task-id-split.js';

/**
 * A task id as the UI shows it: always whole (`src/report.ts#buildReport`), the same string the
 * sdk, the language server and the editor use. Long ids are shortened only visually — the
 * folder part shrinks with an ellipsis (CSS), the file and name stay — and the whole id is the
 * hover text and what a copy takes.
 */
export function taskIdLabel(id: string, hover: string = id): HTMLElement {
  const { dir, rest } = splitTaskId(id);
  return h(
    'span',
    { class: 'fox-id', title: hover },
    dir ? h('span', { class: 'fox-id-dir' }, dir) : null,
    h('span', { class: 'fox-id-name' }, rest),
  );
}
