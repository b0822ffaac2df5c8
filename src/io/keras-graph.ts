import type { ErrorCode } from '../errors.ts';
import { describe, isPlainName, isRecord } from '../model/spec-schema.ts';
import type { KerasGraph, KerasLayerFile, KerasTensorRef } from './keras-model.ts';

/**
 * The layer graph of a Keras model config, checked before anything walks it: a Sequential's
 * list of layers (Keras 2.0/2.1's bare list or 2.2+'s {name, layers}), or a functional config's
 * `layers` with `inbound_nodes`, `input_layers` and `output_layers`, every name it refers to
 * defined and no cycle. A layer that is itself a model (a nested model) gets its own graph.
 * Weights are attached by the file's reader.
 */

export type Fail = (message: string, code?: ErrorCode) => never;

/** The class names Keras uses for a model (used as a layer, or at the top). */
export const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'];

/** A model config ({class_name, config}) as a graph; `where` names it in messages ('model_config', or a nested model's name). */
export function parseModelConfig(config: unknown, fail: Fail, where = 'model_config'): KerasGraph {
  const className = isRecord(config) ? config.class_name : undefined;
  const inner = isRecord(config) ? config.config : undefined;
  if (className === 'Sequential') {
    const list = Array.isArray(inner) ? inner : isRecord(inner) ? inner.layers : undefined;
    if (!Array.isArray(list)) return fail(`${where}: a Sequential config without a list of layers`);
    const name = isRecord(inner) && typeof inner.name === 'string' ? inner.name : 'sequential';
    return { name, kind: 'Sequential', layers: layerList(list, where, fail), inputs: [], outputs: [] };
  }
  if (className === 'Model' || className === 'Functional') {
    if (!isRecord(inner) || !Array.isArray(inner.layers)) return fail(`${where}: a ${className} config without a list of layers`);
    const name = typeof inner.name === 'string' ? inner.name : 'model';
    const layers = layerList(inner.layers, where, fail);
    const inputs = endTensors(inner, 'input_layers', where, fail);
    const outputs = endTensors(inner, 'output_layers', where, fail);
    checkGraph(layers, inputs, outputs, where, fail);
    return { name, kind: 'Functional', layers, inputs, outputs };
  }
  return fail(className === undefined ? `${where} has no class_name; expected Sequential, Model or Functional` : `${where} has class_name ${JSON.stringify(className)}; expected Sequential, Model or Functional`);
}

/** The config's layers, each with a class, a config and a name no other layer has. */
function layerList(list: unknown[], where: string, fail: Fail): KerasLayerFile[] {
  const seen = new Map<string, number>();
  return list.map((entry, i) => {
    const layer = parseLayer(entry, i, where, fail);
    const first = seen.get(layer.name);
    if (first !== undefined) fail(`${where}: layers #${first} and #${i} are both named '${layer.name}'; layer names must be unique`);
    seen.set(layer.name, i);
    return layer;
  });
}

function parseLayer(entry: unknown, index: number, where: string, fail: Fail): KerasLayerFile {
  const config = isRecord(entry) ? entry.config : undefined;
  if (!isRecord(entry) || typeof entry.class_name !== 'string' || !isRecord(config) || typeof (entry.name ?? config.name) !== 'string') {
    return fail(`${where}: layer #${index} has no class_name, config or name`);
  }
  const name = entry.name ?? config.name;
  if (!isPlainName(name) || !isPlainName(entry.class_name)) {
    return fail(`${where}: layer #${index} has the name ${describe(name)} and class ${describe(entry.class_name)}; expected non-empty names without control characters`);
  }
  const layer: KerasLayerFile = { name, className: entry.class_name, config, weights: {}, calls: parseCalls(name, entry.inbound_nodes, fail) };
  if (MODEL_CLASSES.includes(entry.class_name)) layer.model = parseModelConfig({ class_name: entry.class_name, config }, fail, `nested model '${name}'`);
  return layer;
}

/** Keras 2's inbound_nodes: one entry per call, each a list of [layer name, node, tensor, kwargs]. */
function parseCalls(name: string, nodes: unknown, fail: Fail): KerasTensorRef[][] {
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) return fail(`layer '${name}': inbound_nodes is not a list`);
  return nodes.map((call: unknown) => {
    if (isRecord(call) && 'args' in call) {
      return fail(`layer '${name}': inbound_nodes are in Keras 3's form ({args, kwargs}) in a file that is not a Keras 3 file`, 'E_UNSUPPORTED');
    }
    if (!Array.isArray(call) || !call.every((t) => Array.isArray(t) && typeof t[0] === 'string')) {
      return fail(`layer '${name}': inbound_nodes is not a list of [layer name, node, tensor, kwargs] entries`);
    }
    return call.map((t: unknown[]) => ({ layer: t[0] as string, node: index(t[1]), tensor: index(t[2]) }));
  });
}

const index = (v: unknown): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0);

/** `input_layers` / `output_layers`: Keras 2 writes [[name, node, tensor], ...], and a single [name, node, tensor] for one. */
function endTensors(inner: Record<string, unknown>, key: string, where: string, fail: Fail): KerasTensorRef[] {
  const list = inner[key];
  const entries = Array.isArray(list) && typeof list[0] === 'string' ? [list] : list;
  const refs = Array.isArray(entries) ? entries.map((t: unknown) => (Array.isArray(t) ? t : [t])) : null;
  if (!refs || refs.length === 0 || !refs.every((t) => typeof t[0] === 'string')) {
    return fail(`${where}: ${key} is not a list of [layer name, node, tensor] entries`);
  }
  return refs.map((t) => ({ layer: t[0] as string, node: index(t[1]), tensor: index(t[2]) }));
}

/** Every name a functional graph refers to is defined, every call index exists, and the calls form no cycle. */
export function checkGraph(layers: KerasLayerFile[], inputs: KerasTensorRef[], outputs: KerasTensorRef[], where: string, fail: Fail): void {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const names = [...byName.keys()];
  const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
  const undefinedName = (name: string): string => `'${name}', which ${where} does not define (its layers: ${listed})`;
  for (const layer of layers) {
    for (const call of layer.calls) for (const ref of call) if (!byName.has(ref.layer)) fail(`layer '${layer.name}' takes its input from ${undefinedName(ref.layer)}`);
  }
  for (const ref of inputs) if (!byName.has(ref.layer)) fail(`${where}: input_layers names ${undefinedName(ref.layer)}`);
  for (const ref of outputs) if (!byName.has(ref.layer)) fail(`${where}: output_layers names ${undefinedName(ref.layer)}`);
  const callName = (layer: string, node: number) => (node === 0 ? layer : `${layer}:${node}`);
  const calls = (l: KerasLayerFile) => Math.max(l.calls.length, 1);
  const checkCall = (who: string, ref: KerasTensorRef) => {
    const source = byName.get(ref.layer)!;
    if (ref.node >= calls(source)) fail(`${where}: ${who} refers to call ${ref.node} of layer '${ref.layer}', which is called ${calls(source)} time${calls(source) > 1 ? 's' : ''}`);
  };
  for (const layer of layers) for (const ref of layer.calls.flat()) checkCall(`layer '${layer.name}'`, ref);
  for (const ref of inputs) checkCall('input_layers', ref);
  for (const ref of outputs) checkCall('output_layers', ref);
  // One graph node per call: a shared layer called on its own earlier output is not a cycle.
  const sources = new Map<string, string[]>();
  for (const l of layers) {
    for (let k = 0; k < calls(l); k++) sources.set(callName(l.name, k), [...new Set((l.calls[k] ?? []).map((r) => callName(r.layer, r.node)))]);
  }
  const cycle = findCycle(sources);
  if (cycle) fail(`${where}: its layers form a cycle (${cycle.join(' -> ')}); a model's layers must lead from its inputs to its outputs`);
}

/** A cycle in the graph (each layer points at the layers it takes input from), in data-flow order, or null. */
export function findCycle(sources: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  for (const start of sources.keys()) {
    if (state.has(start)) continue;
    // Depth-first without recursion: a config with thousands of layers must not overflow the stack.
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const from = sources.get(top.name) ?? [];
      if (top.next === from.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const source = from[top.next++];
      if (state.get(source) === 'open') {
        const path = stack.slice(stack.findIndex((f) => f.name === source)).map((f) => f.name);
        return [...path, source].reverse();
      }
      if (!state.has(source)) {
        state.set(source, 'open');
        stack.push({ name: source, next: 0 });
      }
    }
  }
  return null;
}
