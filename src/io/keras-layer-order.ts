import type { KerasGraph, KerasLayerFile, KerasTensorRef } from './keras-model.ts';

/**
 * A model's layers in the order Keras lists them (`model.layers`), which is the order its .h5
 * loader hands the stored weights out in, layer by layer, positionally: a Sequential's as
 * listed; a Functional's as keras/src/ops/function.py map_graph orders them (tf.keras 2's
 * _map_graph_network is the same): by depth, the longest path to an output, deepest first, ties
 * in the order a depth-first walk back from the outputs first meets them. Layers that no output
 * depends on come last, in config order.
 */
export function kerasLayerOrder(graph: KerasGraph): KerasLayerFile[] {
  if (graph.kind === 'Sequential') return graph.layers;
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const nodeKey = (ref: Pick<KerasTensorRef, 'layer' | 'node'>) => `${ref.layer}#${ref.node}`;
  const parents = (ref: KerasTensorRef): KerasTensorRef[] => {
    const layer = byName.get(ref.layer)!;
    return layer.className === 'InputLayer' ? [] : (layer.calls[ref.node] ?? []);
  };

  // _build_map: the nodes from the inputs to the outputs, and each layer's first-seen index.
  const finished = new Set<string>();
  const inDecreasingDepth: KerasTensorRef[] = [];
  const firstSeen = new Map<KerasLayerFile, number>();
  const visit = (ref: KerasTensorRef) => {
    if (finished.has(nodeKey(ref))) return;
    const layer = byName.get(ref.layer)!;
    if (!firstSeen.has(layer)) firstSeen.set(layer, firstSeen.size);
    finished.add(nodeKey(ref)); // the graph was checked for cycles when read
    for (const p of parents(ref)) visit(p);
    inDecreasingDepth.push(ref);
  };
  for (const out of graph.outputs) visit(out);

  const nodeDepth = new Map<string, number>();
  const layerDepth = new Map<KerasLayerFile, number>();
  for (const ref of [...inDecreasingDepth].reverse()) {
    const layer = byName.get(ref.layer)!;
    // A shared layer takes the greatest depth of its calls.
    const depth = Math.max(nodeDepth.get(nodeKey(ref)) ?? 0, layerDepth.get(layer) ?? 0);
    layerDepth.set(layer, depth);
    nodeDepth.set(nodeKey(ref), depth);
    for (const p of parents(ref)) nodeDepth.set(nodeKey(p), Math.max(depth + 1, nodeDepth.get(nodeKey(p)) ?? 0));
  }
  for (const ref of graph.inputs) {
    const layer = byName.get(ref.layer)!;
    if (!layerDepth.has(layer)) {
      layerDepth.set(layer, 0);
      firstSeen.set(layer, -1);
    }
  }
  const reached = graph.layers.filter((l) => layerDepth.has(l));
  reached.sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
  return [...reached, ...graph.layers.filter((l) => !layerDepth.has(l))];
}
