/**
 * A Keras 3 model config (a `.keras` archive's config.json, or the model_config of an `.h5` that
 * Keras 3 saved) rewritten in the Keras 2 form that parseModelConfig reads, so that both go
 * through the same checks. What Keras 3 writes differently (keras/src/models/functional.py
 * get_config and serialize_node, saving/serialization_lib.py):
 * - each object is {module, class_name, config, registered_name, build_config}; only class_name
 *   and config matter here;
 * - a functional layer's inbound_nodes are [{args, kwargs}], the tensors inside args as
 *   {class_name: '__keras_tensor__', config: {keras_history: [layer, node, tensor]}};
 * - input_layers / output_layers are a bare [layer, node, tensor] for one tensor, a list of them,
 *   or a dict of them, and a nested Functional's call is counted from 1 there (its get_config
 *   starts "kept_nodes" at 1 for a Functional), though from 0 in keras_history;
 * - an activation is its name for Keras's own functions, otherwise a serialized object.
 */
import { isRecord } from '../model/spec-schema.ts';
import type { Fail } from './keras-graph.ts';

type Json = Record<string, unknown>;

/** True when a model config is written the way Keras 3 serializes it. */
export function isKeras3Config(config: unknown): boolean {
  if (!isRecord(config)) return false;
  if (typeof config.module === 'string' || 'registered_name' in config) return true;
  const layers = isRecord(config.config) ? config.config.layers : undefined;
  if (!Array.isArray(layers)) return false;
  return layers.some((l) => isRecord(l) && (typeof l.module === 'string' || (Array.isArray(l.inbound_nodes) && isRecord(l.inbound_nodes[0]))));
}

/** The Keras 2 form of a Keras 3 model config ({class_name, config}); `where` names it in messages. */
export function keras2FormOf(model: unknown, fail: Fail, where = 'config.json'): Json {
  if (!isRecord(model) || !isRecord(model.config)) return fail(`${where}: the model has no class_name and config`);
  return { class_name: model.class_name, config: modelConfig(model.class_name, model.config, fail) };
}

function modelConfig(className: unknown, config: Json, fail: Fail): Json {
  if (!Array.isArray(config.layers)) return config; // parseModelConfig says what is missing
  const layers = config.layers.map((entry: unknown) => layerEntry(entry, fail));
  if (className === 'Sequential') return { ...config, layers };
  const functionals = new Set(layers.filter((l) => l.class_name === 'Functional').map((l) => l.name));
  const ends = (key: string) => {
    const refs = endRefs(config[key]);
    if (refs === undefined) return config[key];
    return refs.map(([layer, node, tensor]) => [layer, functionals.has(layer) && typeof node === 'number' && node > 0 ? node - 1 : node, tensor]);
  };
  return { ...config, layers, input_layers: ends('input_layers'), output_layers: ends('output_layers') };
}

function layerEntry(entry: unknown, fail: Fail): Json {
  if (!isRecord(entry) || !isRecord(entry.config)) return isRecord(entry) ? entry : {};
  const config = withActivation(entry.config);
  const nested = typeof entry.class_name === 'string' && ['Functional', 'Sequential', 'Model'].includes(entry.class_name);
  const out: Json = { class_name: entry.class_name, config: nested ? modelConfig(entry.class_name, config, fail) : config };
  if (typeof entry.name === 'string') out.name = entry.name;
  if (entry.inbound_nodes !== undefined) out.inbound_nodes = inboundNodes(entry, fail);
  return out;
}

/** [{args, kwargs}] -> [[[layer, node, tensor, {}], ...], ...]: the tensors of each call in order. */
function inboundNodes(entry: Json, fail: Fail): unknown {
  const nodes = entry.inbound_nodes;
  if (!Array.isArray(nodes)) return nodes;
  const name = typeof entry.name === 'string' ? entry.name : String((entry.config as Json).name);
  return nodes.map((call: unknown) => {
    if (!isRecord(call) || !('args' in call)) return call; // already the Keras 2 form
    if (tensorsIn(call.kwargs).length > 0) {
      fail(`layer '${name}' takes a tensor as a keyword argument (${Object.keys(call.kwargs as Json).join(', ')}); convscope runs layers called on their inputs only`, 'E_UNSUPPORTED');
    }
    const tensors = tensorsIn(call.args);
    if (tensors.some((h) => !Array.isArray(h) || typeof h[0] !== 'string')) {
      fail(`layer '${name}': inbound_nodes holds a tensor without a keras_history [layer, node, tensor]`);
    }
    return tensors.map((h) => [h[0], h[1], h[2], {}]);
  });
}

/** The keras_history of every serialized tensor in a call's arguments, in order. */
function tensorsIn(value: unknown, into: unknown[][] = []): unknown[][] {
  if (Array.isArray(value)) for (const v of value) tensorsIn(v, into);
  else if (isRecord(value)) {
    if (value.class_name === '__keras_tensor__') into.push(isRecord(value.config) && Array.isArray(value.config.keras_history) ? value.config.keras_history : []);
    else for (const v of Object.values(value)) tensorsIn(v, into);
  }
  return into;
}

/** input_layers / output_layers as a list of [layer, node, tensor], or undefined when it is none of Keras 3's forms. */
function endRefs(value: unknown): unknown[][] | undefined {
  if (Array.isArray(value) && typeof value[0] === 'string') return [value];
  if (Array.isArray(value) && value.every(Array.isArray)) return value;
  if (isRecord(value)) return Object.values(value).flatMap((v) => endRefs(v) ?? []);
  return undefined;
}

/**
 * Keras 3 writes a built-in activation as its name and anything else as a serialized object;
 * a function of Keras's own activations module written as an object ({class_name: 'function',
 * config: 'relu'}) is named here the way the built-ins are.
 */
function withActivation(config: Json): Json {
  const a = config.activation;
  if (!isRecord(a) || a.class_name !== 'function' || typeof a.config !== 'string') return config;
  const module = typeof a.module === 'string' ? a.module : '';
  if (!/^keras(\.src)?\.activations(\.activations)?$/.test(module)) return config;
  return { ...config, activation: a.config };
}
