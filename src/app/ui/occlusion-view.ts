// Occlusion sensitivity: slide a square over the input and watch the class probability fall.
import { clear, h } from './dom.ts';
import { figure } from './picture.ts';
import { legend } from './legend.ts';
import { downloadButton } from './download.ts';
import { classOptions, numberField, readNumber, readSelect, selectField } from './form.ts';
import { MethodView } from './method-view.ts';
import type { AppContext } from './context.ts';

export class OcclusionView extends MethodView {
  constructor(root: HTMLElement, context: AppContext) {
    super(root, context, ' positions');
  }

  /** Rebuilds the controls for the model on show (its default occluder size and its classes). */
  reset(): void {
    const info = this.context.model();
    if (!info) return;
    const size = info.occlusionSize;
    this.layout('A square of the fill value covers each position in turn; where covering the input makes the class less likely, that part mattered.',
      numberField('size', 'occ-size', size, { min: 1, max: Math.max(1, info.inputShape[1] ?? 1) }),
      numberField('stride', 'occ-stride', Math.max(1, Math.floor(size / 2)), { min: 1 }),
      numberField('fill', 'occ-fill', 0, { step: 'any' }),
      info.classes > 0 ? selectField('class', 'occ-class', classOptions(info.classes, this.context.predicted())) : null,
      h('button', { type: 'submit', id: 'occ-run', class: 'primary' }, 'Run occlusion'));
  }

  async run(): Promise<void> {
    const target = this.form.querySelector('#occ-class') ? readSelect(this.form, 'occ-class') : '';
    const body = {
      size: readNumber(this.form, 'occ-size'), stride: readNumber(this.form, 'occ-stride'), fill: readNumber(this.form, 'occ-fill'),
      ...(target === '' ? {} : { target: Number(target) }),
    };
    const result = await this.withProgress((onProgress) => this.context.client.request('occlusion', body, onProgress), () => undefined,
      () => clear(this.results, h('p', { class: 'muted' }, 'Cancelled.')));
    if (!result) return;
    this.context.expose('occlusion', result.grid);
    const [ny, nx] = result.grid.shape;
    const what = result.target === null ? 'the output' : `class ${result.target}`;
    clear(this.results,
      h('p', {}, `The probability of ${what} is ${(result.baseline * 100).toFixed(1)}% unoccluded; a ${body.size}×${body.size} square of ${body.fill} at ${ny}×${nx} positions (stride ${body.stride}).`),
      h('div', { class: 'figures' },
        figure(result.heatmap, 224, `The ${what} output with the square at each position: dark = covering there hurts most.`),
        figure(result.overlay, 224, 'Over the input: the mean drop when a pixel is covered (bright = important).')),
      h('div', { class: 'row' }, legend('viridis', 'lowest', 'highest'), downloadButton('save the grid as .npy', 'occlusion.npy', () => result.grid)));
  }
}
