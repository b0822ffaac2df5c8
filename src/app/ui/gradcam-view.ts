// Grad-CAM: where a layer sees the class, from the gradient of its logit.
import { clear, h } from './dom.ts';
import { figure } from './picture.ts';
import { legend } from './legend.ts';
import { classOptions, readSelect, selectField } from './form.ts';
import { MethodView } from './method-view.ts';
import { errorMessage, mapLayers } from './context.ts';

export class GradCamView extends MethodView {
  reset(): void {
    const info = this.context.model();
    if (!info) return;
    if (info.classes === 0 || info.gradCamLayer === null) {
      this.notApplicable('Grad-CAM needs a model that ends in class scores and has a layer with maps.');
      return;
    }
    const layers = mapLayers(info).map((name) => ({ value: name, text: name === info.gradCamLayer ? `${name} (default)` : name }));
    this.layout('Grad-CAM weighs each map of a layer by how much the class score grows with it, and keeps the positive part: where that layer sees the class.',
      selectField('layer', 'cam-layer', layers, info.gradCamLayer),
      selectField('class', 'cam-class', classOptions(info.classes, this.context.predicted())),
      h('button', { type: 'submit', class: 'primary', id: 'cam-run' }, 'Run Grad-CAM'));
    for (const select of this.form.querySelectorAll('select')) select.addEventListener('change', () => void this.run());
  }

  async run(): Promise<void> {
    if (!this.form.querySelector('#cam-layer')) return;
    const layer = readSelect(this.form, 'cam-layer');
    const target = readSelect(this.form, 'cam-class');
    try {
      const result = await this.context.client.request('gradcam', { layer, ...(target === '' ? {} : { target: Number(target) }) });
      this.context.expose('gradcam', result.cam);
      const [ch, cw] = result.cam.shape;
      clear(this.results,
        h('div', { class: 'figures' },
          figure(result.heatmap, 224, `Grad-CAM of class ${result.target} at ${result.layer} (${ch}×${cw}).`),
          figure(result.overlay, 224, 'Upsampled over the input (bright = where the layer sees the class).')),
        legend('viridis', '0', 'highest'));
    } catch (e) {
      this.context.error(errorMessage(e));
    }
  }
}
