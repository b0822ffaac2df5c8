import type { KerasGraph } from '../io/keras-model.ts';
import { kerasCalls } from '../model/from-keras.ts';
import type { Model } from '../model/model.ts';

const cache = new WeakMap<Model, ReadonlySet<string>>();

/**
 * The nodes whose Keras layer is frozen (`trainable: false` in its config, or inside a nested
 * model that is): their weights do not train. Only a model that keeps its Keras description
 * (loaded from a Keras file, or built by sequential) can have any.
 */
export function frozenNodes(model: Model): ReadonlySet<string> {
  let nodes = cache.get(model);
  if (!nodes) {
    const file = model.spec.keras;
    const frozenLayers = new Set<unknown>();
    const walk = (graph: KerasGraph, inFrozen: boolean) => {
      for (const layer of graph.layers) {
        const frozen = inFrozen || layer.config.trainable === false;
        if (frozen) frozenLayers.add(layer);
        if (layer.model) walk(layer.model, frozen);
      }
    };
    if (file) walk(file, false);
    nodes = new Set(frozenLayers.size && file ? kerasCalls(file).filter((c) => frozenLayers.has(c.layer)).map((c) => c.node) : []);
    cache.set(model, nodes);
  }
  return nodes;
}
