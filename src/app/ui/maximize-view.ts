// Activation maximisation: the input a channel likes best, shown as it forms.
import { clear, h } from './dom.ts';
import { drawPicture, pictureCanvas } from './picture.ts';
import { numberField, readNumber, readSelect, selectField } from './form.ts';
import { MethodView } from './method-view.ts';
import type { AppContext } from './context.ts';

export class MaximizeView extends MethodView {
  constructor(root: HTMLElement, context: AppContext) {
    super(root, context, ' steps');
  }

  reset(selectedLayer: string | null): void {
    const info = this.context.model();
    if (!info) return;
    if (info.inputShape.length !== 3) {
      this.notApplicable('Activation maximisation needs a model that takes images.');
      return;
    }
    const layers = info.nodes.filter((n) => n.maps || n.shape.length === 1).map((n) => ({ value: n.name, text: `${n.name} (${n.shape[0]} ${n.maps ? 'channels' : 'units'})` }));
    this.layout('Gradient ascent from faint noise towards the image that excites one channel most (a class logit on the output layer), with blur and jitter to keep it natural.',
      selectField('layer', 'max-layer', layers, selectedLayer ?? undefined),
      numberField('channel', 'max-channel', 0, { min: 0 }),
      numberField('steps', 'max-steps', 200, { min: 1, max: 5000 }),
      h('button', { type: 'submit', class: 'primary', id: 'max-run' }, 'Maximize'));
  }

  async run(): Promise<void> {
    const layer = readSelect(this.form, 'max-layer');
    const channel = readNumber(this.form, 'max-channel');
    const iterations = readNumber(this.form, 'max-steps');
    const info = this.context.model()!;
    const forming = h('canvas', { class: 'pixelated', width: info.inputShape[2], height: info.inputShape[1] });
    forming.style.width = '224px';
    const caption = h('figcaption', {}, 'forming…');
    clear(this.results, h('figure', {}, forming, caption));
    const result = await this.withProgress((onProgress) => this.context.client.request('maximize', { layer, channel, iterations }, onProgress),
      (p) => {
        if (p.image) drawPicture(forming, p.image);
        caption.textContent = `step ${p.done} of ${p.total}`;
      },
      () => (caption.textContent = 'Cancelled.'));
    if (!result) return;
    clear(this.results, h('figure', {}, pictureCanvas(result.image, 224, `maximised ${layer} channel ${channel}`),
      h('figcaption', {}, `${layer} channel ${channel} after ${iterations} steps: mean activation ${result.objective.toPrecision(4)} (from ${result.history[0].toPrecision(3)}).`)));
  }
}
