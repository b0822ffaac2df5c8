// What the method panels share: a form of controls, a results area, and for the long requests a
// progress bar with a cancel button.
import type { Progress } from '../protocol.ts';
import { CancelledError } from '../client.ts';
import { clear, h } from './dom.ts';
import { ProgressBar } from './progress.ts';
import { errorMessage, type AppContext } from './context.ts';

type Child = Parameters<typeof clear>[1];

export abstract class MethodView {
  protected readonly form = h('form', { class: 'controls' });
  protected readonly results = h('div', { class: 'results' });
  private readonly progress: ProgressBar;
  private running: number | null = null;

  constructor(protected readonly root: HTMLElement, protected readonly context: AppContext, progressUnit = '') {
    this.progress = new ProgressBar(() => this.running !== null && this.context.client.cancel(this.running), progressUnit);
    this.form.onsubmit = (e) => {
      e.preventDefault();
      void this.run();
    };
  }

  abstract run(): Promise<void>;

  /** Shows the panel: a line on what the method does, the controls, the (empty) results. */
  protected layout(intro: string, ...controls: Child[]): void {
    clear(this.form, ...controls);
    clear(this.root, h('p', { class: 'muted' }, intro), this.form, this.progress.element, this.results);
    clear(this.results);
  }

  /** Shows a line in place of the panel (the method does not apply to this model). */
  protected notApplicable(text: string): void {
    clear(this.root, h('p', { class: 'muted' }, text));
  }

  /**
   * Runs a request with the progress bar up and its cancel button live; resolves to its result,
   * or null when it was cancelled (onCancelled runs) or failed (the page's error line says why).
   */
  protected async withProgress<T>(send: (onProgress: (p: Progress) => void) => Promise<T>, onProgress: (p: Progress) => void, onCancelled: () => void): Promise<T | null> {
    if (this.running !== null) return null;
    this.context.error(null);
    this.progress.start();
    const request = send((p) => {
      this.progress.update(p.done, p.total);
      onProgress(p);
    });
    this.running = this.context.client.lastId;
    try {
      return await request;
    } catch (e) {
      if (e instanceof CancelledError) onCancelled();
      else this.context.error(errorMessage(e));
      return null;
    } finally {
      this.running = null;
      this.progress.stop();
    }
  }
}
