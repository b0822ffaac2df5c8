// A layer's feature maps, one tile per channel (each normalised on its own), the strongest
// marked; click a channel to see what in the input drives it, through the three backward nets.
import type { LayerMaps, Reconstruction } from '../session.ts';
import { clear, h } from './dom.ts';
import { pictureCanvas } from './picture.ts';
import { legend } from './legend.ts';
import { downloadButton } from './download.ts';
import { errorMessage, type AppContext } from './context.ts';

const METHOD_TITLES: Record<string, [string, string]> = {
  deconvnet: ['DeconvNet', 'Zeiler & Fergus: ReLU on the backward signal'],
  salinet: ['SaliNet', 'the gradient (Simonyan et al.)'],
  desalinet: ['DeSaliNet', 'guided backprop: both rules'],
};

export class MapsView {
  private maps: LayerMaps | null = null;
  private channel: number | null = null;
  private unit: 'all' | 'max' = 'all';
  private readonly grid = h('div', { class: 'tiles' });
  private readonly header = h('div', { class: 'view-header' });
  private readonly backward = h('div', { class: 'backward' });

  constructor(private readonly root: HTMLElement, private readonly context: AppContext) {
    clear(root, this.header, this.backward, this.grid);
  }

  async show(layer: string): Promise<void> {
    try {
      const maps = await this.context.client.request('maps', { layer });
      this.maps = maps;
      this.render();
      if (this.channel !== null && this.channel < maps.tiles.length) await this.pick(this.channel);
      else await this.pick(maps.strongest[0]);
    } catch (e) {
      this.context.error(errorMessage(e));
    }
  }

  private render(): void {
    const maps = this.maps!;
    const [c, hh, w] = maps.shape.length === 3 ? maps.shape : [1, 1, maps.shape[0]];
    clear(this.header,
      h('h3', {}, maps.layer, h('span', { class: 'muted' }, maps.shape.length === 3 ? ` · ${c} maps of ${hh}×${w}` : ` · a vector of ${w}`)),
      legend('viridis', 'low', 'high'),
      h('p', { class: 'muted small' }, 'Each map is scaled to its own range; ★ marks the three that fire most. Click a map to project it back to pixels.'));
    const top = new Set(maps.strongest.slice(0, 3));
    // tiles sized so that a layer's maps fill about 620x320 pixels: 16 maps at 96, 64 at 50, 512 at 28
    const size = Math.max(28, Math.min(96, Math.round(Math.sqrt((620 * 320) / Math.max(1, c)) - 6)));
    clear(this.grid, ...maps.tiles.map((tile, ch) => h('button', {
      type: 'button', class: `tile${ch === this.channel ? ' selected' : ''}`, 'data-channel': ch,
      title: `channel ${ch}: ${maps.ranges[ch][0].toPrecision(3)} … ${maps.ranges[ch][1].toPrecision(3)}`,
      onclick: () => void this.pick(ch),
    }, pictureCanvas(tile, size, `channel ${ch}`), h('span', { class: 'tile-label' }, top.has(ch) ? `★${ch}` : String(ch)))));
  }

  async pick(channel: number): Promise<void> {
    const maps = this.maps;
    if (!maps) return;
    this.channel = channel;
    for (const tile of this.grid.querySelectorAll('.tile')) tile.classList.toggle('selected', Number((tile as HTMLElement).dataset.channel) === channel);
    try {
      const results = await this.context.client.request('backward', { layer: maps.layer, channel, unit: this.unit });
      this.renderBackward(maps.layer, channel, results);
    } catch (e) {
      this.context.error(errorMessage(e));
    }
  }

  private renderBackward(layer: string, channel: number, results: Reconstruction[]): void {
    this.context.expose('reconstructions', Object.fromEntries(results.map((r) => [r.method, { shape: r.shape, data: r.data }])));
    this.context.expose('reconstructionsOf', `${layer}:${channel}:${this.unit}`);
    const unitToggle = h('span', { class: 'threads', role: 'group', 'aria-label': 'which units start the backward pass' },
      ...(['all', 'max'] as const).map((unit) => h('button', {
        type: 'button', class: `toggle${unit === this.unit ? ' on' : ''}`, id: `unit-${unit}`,
        title: unit === 'all' ? 'start from the whole map' : 'start from its strongest unit alone',
        onclick: () => {
          this.unit = unit;
          void this.pick(channel);
        },
      }, unit === 'all' ? 'whole map' : 'strongest unit')));
    clear(this.backward,
      h('div', { class: 'view-header' },
        h('h3', {}, `${layer} · channel ${channel}`, h('span', { class: 'muted' }, ': what in the input drives it')),
        unitToggle),
      h('div', { class: 'figures' }, ...results.map((r) => h('figure', {},
        pictureCanvas(r.picture, 168, METHOD_TITLES[r.method][0]),
        h('figcaption', {}, h('b', {}, METHOD_TITLES[r.method][0]), h('br', {}), h('span', { class: 'muted small' }, METHOD_TITLES[r.method][1]), h('br', {}),
          downloadButton('.npy', `${r.method}-${layer}-${channel}.npy`, () => r))))),
      legend('diverging', 'negative', 'positive', '0'));
  }
}
