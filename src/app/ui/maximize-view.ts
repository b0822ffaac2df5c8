// Activation maximisation: the input a channel likes best, shown as it forms.
import { clear, h } from './dom.ts';
import { drawPicture, pictureCanvas } from './picture.ts';
import { ProgressBar } from './progress.ts';
import { numberField, readNumber, readSelect, selectField } from './form.ts';
import { CancelledError } from '../client.ts';
import { errorMessage, type AppContext } from './context.ts';

export class MaximizeView {
  private running: number | null = null;
  private readonly progress = new ProgressBar(() => this.running !== null && this.context.client.cancel(this.running), ' steps');
  private readonly form = h('form', { class: 'controls' });
  private readonly results = h('div', { class: 'results' });

  constructor(private readonly root: HTMLElement, private readonly context: AppContext) {}

  reset(selectedLayer: string | null): void {
    const info = this.context.model();
    if (!info) return;
    if (info.inputShape.length !== 3) {
      clear(this.root, h('p', { class: 'muted' }, 'Activation maximisation needs a model that takes images.'));
      return;
    }
    const layers = info.nodes.filter((n) => n.maps || n.shape.length === 1).map((n) => ({ value: n.name, text: `${n.name} (${n.shape[0]} ${n.maps ? 'channels' : 'units'})` }));
    clear(this.form,
      selectField('layer', 'max-layer', layers, selectedLayer ?? undefined),
      numberField('channel', 'max-channel', 0, { min: 0 }),
      numberField('steps', 'max-steps', 200, { min: 1, max: 5000 }),
      h('button', { type: 'submit', class: 'primary', id: 'max-run' }, 'Maximize'));
    this.form.onsubmit = (e) => {
      e.preventDefault();
      void this.run();
    };
    clear(this.root,
      h('p', { class: 'muted' }, 'Gradient ascent from faint noise towards the image that excites one channel most (a class logit on the output layer), with blur and jitter to keep it natural.'),
      this.form, this.progress.element, this.results);
  }

  async run(): Promise<void> {
    if (this.running !== null) return;
    const layer = readSelect(this.form, 'max-layer');
    const channel = readNumber(this.form, 'max-channel');
    const iterations = readNumber(this.form, 'max-steps');
    const info = this.context.model()!;
    const forming = h('canvas', { class: 'pixelated', width: info.inputShape[2], height: info.inputShape[1] });
    forming.style.width = '224px';
    const caption = h('figcaption', {}, 'forming…');
    clear(this.results, h('figure', {}, forming, caption));
    this.context.error(null);
    this.progress.start();
    const request = this.context.client.request('maximize', { layer, channel, iterations }, (p) => {
      this.progress.update(p.done, p.total);
      if (p.image) drawPicture(forming, p.image);
      caption.textContent = `step ${p.done} of ${p.total}`;
    });
    this.running = this.context.client.lastId;
    try {
      const result = await request;
      clear(this.results, h('figure', {}, pictureCanvas(result.image, 224, `maximised ${layer} channel ${channel}`),
        h('figcaption', {}, `${layer} channel ${channel} after ${iterations} steps: mean activation ${result.objective.toPrecision(4)} (from ${result.history[0].toPrecision(3)}).`)));
    } catch (e) {
      if (e instanceof CancelledError) caption.textContent = 'Cancelled.';
      else this.context.error(errorMessage(e));
    } finally {
      this.running = null;
      this.progress.stop();
    }
  }
}
