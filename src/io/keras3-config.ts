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
  if (isOperation(entry)) return operationEntry(entry, fail);
  const config = withActivation(entry.config);
  const nested = typeof entry.class_name === 'string' && ['Functional', 'Sequential', 'Model'].includes(entry.class_name);
  const out: Json = { class_name: entry.class_name, config: nested ? modelConfig(entry.class_name, config, fail) : config };
  if (typeof entry.name === 'string') out.name = entry.name;
  if (entry.inbound_nodes !== undefined) out.inbound_nodes = inboundNodes(entry, fail);
  return out;
}

/**
 * A keras.ops call on a graph tensor (Keras 3 records `x + 3.0`, `x * (1/6)` as operations in the
 * functional config; keras.applications' MobileNetV3 hard_sigmoid has both). An operation of one
 * tensor and one number that is `x*scale + offset` runs as a Rescaling node under its own name;
 * it owns no variables (saving_lib's `layers` container skips it: see containerPaths). One of
 * two tensors that a merge layer computes runs as that merge layer. Any other operation is refused.
 */
function isOperation(entry: Json): boolean {
  if (typeof entry.module === 'string') return /^keras(\.src)?\.ops\./.test(entry.module);
  // Keras 3's legacy .h5 writes no module: an operation's config is its name alone (a layer's has
  // its dtype policy), and it is called on a bare tensor and a number, not a list of tensors.
  const call = Array.isArray(entry.inbound_nodes) && isRecord(entry.inbound_nodes[0]) ? entry.inbound_nodes[0] : undefined;
  const args = call && Array.isArray(call.args) ? (call.args as unknown[]) : [];
  return isRecord(entry.config) && !('dtype' in entry.config) && args.some((a) => typeof a === 'number') && args.some((a) => isRecord(a) && a.class_name === '__keras_tensor__');
}

function operationEntry(entry: Json, fail: Fail): Json {
  const name = typeof entry.name === 'string' ? entry.name : String((entry.config as Json).name);
  const op = typeof entry.module === 'string' ? `${entry.module}.${String(entry.class_name)}` : `ops.${String(entry.class_name)}`;
  const calls = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  const args = calls.length === 1 && isRecord(calls[0]) && Array.isArray(calls[0].args) ? (calls[0].args as unknown[]) : [];
  const at = args.findIndex((a) => isRecord(a) && a.class_name === '__keras_tensor__');
  const constant = args.length === 2 && at >= 0 ? args[1 - at] : undefined;
  const tensors = args.filter((a) => isRecord(a) && a.class_name === '__keras_tensor__').length;
  if (args.length === 2 && tensors === 2 && TENSOR_MERGES.includes(String(entry.class_name))) {
    // `a + b` on two tensors (ConvNeXt's residual): the merge layer of the same name
    return { class_name: entry.class_name, name, config: { name, operation: op }, inbound_nodes: inboundNodes(entry, fail) };
  }
  const affine = typeof constant === 'number' && Number.isFinite(constant) ? scalarAffine(String(entry.class_name), constant, at === 0) : undefined;
  if (!affine) {
    return fail(`layer '${name}' is the Keras operation ${op}${args.length ? ` on ${args.length} arguments` : ''}; convscope runs only operations that add, subtract, multiply or divide a tensor by a number, or add, subtract, multiply, take the maximum or minimum of two tensors`, 'E_UNSUPPORTED');
  }
  return {
    class_name: 'Rescaling',
    name,
    config: { name, ...affine, operation: op },
    inbound_nodes: inboundNodes(entry, fail),
  };
}

/** keras.ops on two tensors that Keras's merge layers of the same class name compute. */
const TENSOR_MERGES = ['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum'];

/** x (op) c as x*scale + offset (tensorFirst), c (op) x otherwise; undefined when it is not affine. */
function scalarAffine(className: string, c: number, tensorFirst: boolean): { scale: number; offset: number } | undefined {
  switch (className) {
    case 'Add':
      return { scale: 1, offset: c };
    case 'Subtract':
      return tensorFirst ? { scale: 1, offset: -c } : { scale: -1, offset: c };
    case 'Multiply':
      return { scale: c, offset: 0 };
    case 'Divide':
    case 'TrueDivide':
      return tensorFirst && c !== 0 ? { scale: 1 / c, offset: 0 } : undefined;
    default:
      return undefined;
  }
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
