// Colour legends for the app's three colour maps, drawn as CSS gradients with their meaning.
import { colormap, type ColormapName } from '../../io/colormap.ts';
import { h } from './dom.ts';

function gradient(name: ColormapName): string {
  const map = colormap(name);
  const stops = Array.from({ length: 11 }, (_, i) => {
    const [r, g, b] = map(i / 10);
    return `rgb(${r},${g},${b}) ${i * 10}%`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

export function legend(name: ColormapName, low: string, high: string, middle?: string): HTMLElement {
  const bar = h('span', { class: 'legend-bar' });
  bar.style.background = gradient(name);
  return h('div', { class: 'legend', role: 'img', 'aria-label': `colour scale from ${low} to ${high}` },
    h('span', { class: 'legend-end' }, low), bar, middle ? h('span', { class: 'legend-mid' }, middle) : null, h('span', { class: 'legend-end' }, high));
}
