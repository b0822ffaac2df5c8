// The model's layers as a graph to pick where to look: one row per node in the order the model
// runs them, in lanes, with an edge from every node to each node that reads it. A chain is one
// lane; a residual block's shortcut and a branch take lanes of their own. Nodes with maps (C, H, W)
// are clickable.
import type { NodeInfo } from '../session.ts';

const ROW = 30;
const LANE = 16;
const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** Lanes: a node continues its first input's lane when that input has no other continuation yet. */
export function lanes(nodes: readonly NodeInfo[]): number[] {
  const lane: number[] = [];
  const continued = new Set<number>();
  const busyUntil: number[] = [];
  const lastReader = nodes.map((_, i) => Math.max(i, ...nodes.flatMap((n, j) => (n.inputs.includes(i) ? [j] : []))));
  nodes.forEach((node, i) => {
    const first = node.inputs[0];
    if (first !== undefined && !continued.has(first)) {
      continued.add(first);
      lane[i] = lane[first];
    } else {
      let free = 0;
      while ((busyUntil[free] ?? -1) >= i) free++;
      lane[i] = free;
    }
    busyUntil[lane[i]] = Math.max(busyUntil[lane[i]] ?? -1, lastReader[i]);
  });
  return lane;
}

function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

export function renderGraph(nodes: readonly NodeInfo[], selected: string | null, onPick: (name: string) => void): SVGSVGElement {
  const lane = lanes(nodes);
  const width = 12 + (Math.max(0, ...lane) + 1) * LANE + 180;
  const textX = 12 + (Math.max(0, ...lane) + 1) * LANE;
  const root = svg('svg', { width, height: nodes.length * ROW + 8, class: 'graph', role: 'list', 'aria-label': 'the model\'s layers' });
  const x = (i: number) => 10 + lane[i] * LANE;
  const y = (i: number) => 4 + i * ROW + ROW / 2;
  nodes.forEach((node, i) => {
    for (const from of node.inputs) {
      const d = lane[from] === lane[i] ? `M${x(from)},${y(from)} L${x(i)},${y(i)}` : `M${x(from)},${y(from)} C${x(from)},${y(i) - ROW / 2} ${x(i)},${y(from) + ROW / 2} ${x(i)},${y(i)}`;
      root.appendChild(svg('path', { d, class: 'edge' }));
    }
  });
  nodes.forEach((node, i) => {
    const group = svg('g', { class: `node${node.maps ? ' maps' : ''}${node.name === selected ? ' selected' : ''}`, role: 'listitem', 'data-layer': node.name });
    group.appendChild(svg('rect', { x: 2, y: y(i) - ROW / 2 + 2, width: width - 4, height: ROW - 4, rx: 5, class: 'row' }));
    group.appendChild(svg('circle', { cx: x(i), cy: y(i), r: 5, class: 'dot' }));
    const label = svg('text', { x: textX, y: y(i) - 2, class: 'name' });
    label.textContent = node.name.length > 22 ? `${node.name.slice(0, 21)}…` : node.name;
    const detail = svg('text', { x: textX, y: y(i) + 10, class: 'detail' });
    detail.textContent = `${node.type} · ${shapeText(node.shape)}`;
    const title = svg('title', {});
    title.textContent = `${node.name} (${node.type}) → ${shapeText(node.shape)}${node.maps ? '' : ' (no maps to show)'}`;
    group.append(title, label, detail);
    if (node.maps) group.addEventListener('click', () => onPick(node.name));
    root.appendChild(group);
  });
  return root;
}
