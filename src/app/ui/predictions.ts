// The prediction as bars: every class (the ten digits) or the top ten of a larger output.
import { clear, h } from './dom.ts';

export function renderPredictions(container: HTMLElement, probabilities: number[], labels?: string[]): void {
  const order = probabilities.map((_, i) => i);
  const shown = probabilities.length <= 10 ? order : order.sort((a, b) => probabilities[b] - probabilities[a]).slice(0, 10);
  const best = probabilities.indexOf(Math.max(...probabilities));
  // a softmax output shows as percentages; any other output as its values, bars relative to the largest
  const sum = probabilities.reduce((a, b) => a + b, 0);
  const isProbability = probabilities.every((p) => p >= 0 && p <= 1) && Math.abs(sum - 1) < 1e-3;
  const top = Math.max(...probabilities.map(Math.abs), 1e-30);
  clear(container, ...shown.map((k) => {
    const p = isProbability ? probabilities[k] : Math.abs(probabilities[k]) / top;
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${Math.max(0, Math.min(100, p * 100)).toFixed(1)}%`;
    return h('div', { class: k === best ? 'bar best' : 'bar', 'data-class': k },
      h('span', { class: 'bar-label' }, labels?.[k] ?? String(k)),
      h('span', { class: 'bar-track' }, fill),
      h('span', { class: 'bar-value' }, isProbability ? `${(p * 100).toFixed(1)}%` : probabilities[k].toPrecision(3)));
  }));
}
