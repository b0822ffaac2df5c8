// A progress bar with a cancel button, for the requests that take a while.
import { h } from './dom.ts';

export class ProgressBar {
  private readonly bar = h('progress', { max: 1, value: 0, 'aria-label': 'progress' });
  private readonly text = h('span', { class: 'muted small progress-text' });
  private readonly cancel = h('button', { type: 'button', class: 'cancel' }, 'Cancel');
  readonly element = h('div', { class: 'progress', hidden: true }, this.bar, this.text, this.cancel);

  constructor(onCancel: () => void, private readonly unit = '') {
    this.cancel.addEventListener('click', onCancel);
  }

  start(): void {
    this.element.hidden = false;
    this.update(0, 1);
  }

  update(done: number, total: number): void {
    this.bar.max = total;
    this.bar.value = done;
    this.text.textContent = `${done} / ${total}${this.unit}`;
  }

  stop(): void {
    this.element.hidden = true;
  }
}
