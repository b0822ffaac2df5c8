import type { ErrorCode } from '../errors.ts';

/**
 * The layer graph of a Keras 2 functional config (`inbound_nodes`, `input_layers`,
 * `output_layers`), checked before it is walked: every name it refers to defined, no cycle.
 * convscope runs single chains, so the graph is then reduced to one: input to output.
 */

export type Fail = (message: string, code?: ErrorCode) => never;

export interface RawLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inbound: unknown;
}

/** Orders a functional model's layers from its input to its output, if they form one chain. */
export function chainOrder(inner: Record<string, unknown>, layers: RawLayer[], fail: Fail): RawLayer[] {
  const inputs = endLayers(inner, 'input_layers', fail);
  const outputs = endLayers(inner, 'output_layers', fail);
  const sources = new Map(layers.map((l) => [l.name, inboundLayers(l, fail)]));
  checkReferences(sources, inputs, outputs, fail);
  const cycle = findCycle(sources);
  if (cycle) fail(`model_config: its layers form a cycle (${cycle.join(' -> ')}); a model's layers must lead from its inputs to its outputs`);

  const unsupported = (why: string): never => fail(`only single-chain models are supported, but ${why}`, 'E_UNSUPPORTED');
  if (inputs.length !== 1 || outputs.length !== 1) {
    unsupported(`this one has ${inputs.length} inputs (${inputs.join(', ')}) and ${outputs.length} outputs (${outputs.join(', ')})`);
  }
  const consumers = new Map<string, string[]>(layers.map((l) => [l.name, []]));
  for (const [name, from] of sources) for (const source of from) consumers.get(source)!.push(name);
  for (const [name, next] of consumers) {
    if (next.length > 1) unsupported(`the model branches at layer '${name}': its output goes to ${next.join(' and ')}`);
  }
  for (const [name, from] of sources) {
    if (from.length > 1) unsupported(`layer '${name}' merges ${from.length} inputs (${from.join(', ')})`);
  }
  // With every name defined, no cycle and no branch, this walk visits each layer at most once.
  const byName = new Map(layers.map((l) => [l.name, l]));
  const chain: RawLayer[] = [];
  for (let name: string | undefined = inputs[0]; name !== undefined; name = consumers.get(name)![0]) chain.push(byName.get(name)!);
  const last = chain[chain.length - 1].name;
  if (last !== outputs[0]) unsupported(`the chain from '${inputs[0]}' ends at '${last}', not at the output '${outputs[0]}'`);
  const loose = layers.find((l) => !chain.includes(l));
  if (loose) unsupported(`layer '${loose.name}' is not on the chain from '${inputs[0]}' to '${outputs[0]}'`);
  return chain;
}

/** `input_layers` / `output_layers`: Keras 2 writes [[name, node, tensor], ...]. */
function endLayers(inner: Record<string, unknown>, key: string, fail: Fail): string[] {
  const list = inner[key];
  const names = Array.isArray(list) ? list.map((t: unknown) => (Array.isArray(t) ? t[0] : t)) : null;
  if (!names || !names.every((n): n is string => typeof n === 'string')) {
    return fail(`model_config: ${key} is not a list of [layer name, node, tensor] entries`);
  }
  return names;
}

/** Names of the layers feeding a functional layer, from Keras 2's [[[name, node, tensor, kwargs], ...]]. */
function inboundLayers(layer: RawLayer, fail: Fail): string[] {
  const nodes = layer.inbound ?? [];
  if (!Array.isArray(nodes)) return fail(`layer '${layer.name}': inbound_nodes is not a list`);
  if (nodes.length > 1) fail(`only single-chain models are supported, but layer '${layer.name}' is called ${nodes.length} times (a shared layer)`, 'E_UNSUPPORTED');
  const tensors: unknown = nodes[0] ?? [];
  if (typeof tensors === 'object' && tensors !== null && 'args' in tensors) {
    fail(`layer '${layer.name}': inbound_nodes are in Keras 3's form ({args, kwargs}); convscope reads models saved by Keras 2 or tf.keras 2`, 'E_UNSUPPORTED');
  }
  if (!Array.isArray(tensors) || !tensors.every((t) => Array.isArray(t) && typeof t[0] === 'string')) {
    return fail(`layer '${layer.name}': inbound_nodes is not a list of [layer name, node, tensor, kwargs] entries`);
  }
  return tensors.map((t: unknown[]) => t[0] as string);
}

function checkReferences(sources: Map<string, string[]>, inputs: string[], outputs: string[], fail: Fail): void {
  const names = [...sources.keys()];
  const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
  const undefinedName = (name: string): string => `'${name}', which model_config does not define (its layers: ${listed})`;
  for (const [name, from] of sources) {
    for (const source of from) if (!sources.has(source)) fail(`layer '${name}' takes its input from ${undefinedName(source)}`);
  }
  for (const name of inputs) if (!sources.has(name)) fail(`model_config: input_layers names ${undefinedName(name)}`);
  for (const name of outputs) if (!sources.has(name)) fail(`model_config: output_layers names ${undefinedName(name)}`);
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
