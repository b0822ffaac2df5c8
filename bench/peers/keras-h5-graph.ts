// A tf.keras 2 Functional .h5 read straight with h5wasm, for the peers: the layers of its
// model_config in file order (Keras writes them topologically), each call's input layers, and the
// weights in Keras's own layout. Not convscope's loader, so that a peer built from it checks
// convscope's conversion (channels, kernel layouts, graph wiring) as well as its kernels.
import { readFileSync } from 'node:fs';
import h5wasm, { Dataset, Group } from 'h5wasm';

export interface KerasWeight {
  shape: number[];
  data: Float32Array;
}

export interface KerasGraphLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** The layers its one call takes, in order; [] for the InputLayer. */
  inputs: string[];
  /** By short name ('kernel', 'depthwise_kernel', 'gamma', 'moving_variance', ...). */
  weights: Map<string, KerasWeight>;
}

export interface KerasGraph {
  name: string;
  layers: KerasGraphLayer[];
  output: string;
}

interface FunctionalConfig {
  name: string;
  layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: [string, number, number, unknown][][] }[];
  output_layers: [string, number, number][];
}

/** Reads a single-output Functional .h5 whose layers are called once each. */
export async function readKerasGraph(path: string): Promise<KerasGraph> {
  const h5 = await h5wasm.ready;
  const memPath = '/convscope-bench-peer-graph.h5';
  h5.FS.writeFile(memPath, readFileSync(path));
  const file = new h5wasm.File(memPath, 'r');
  try {
    const { class_name: kind, config } = JSON.parse(String(file.attrs.model_config.value)) as { class_name: string; config: FunctionalConfig };
    if (kind !== 'Functional' && kind !== 'Model') throw new Error(`${path}: a ${kind}, not a Functional model`);
    const layers = config.layers.map((l): KerasGraphLayer => {
      if (l.inbound_nodes.length > 1) throw new Error(`${l.name}: a shared layer, which the peers do not build`);
      const weights = new Map<string, KerasWeight>();
      const group = `model_weights/${l.name}`;
      const entry = file.get(group);
      if (!(entry instanceof Group)) throw new Error(`${path}: no group ${group}`);
      const names = entry.attrs.weight_names?.value;
      for (const full of Array.isArray(names) ? names.map(String) : []) {
        const dataset = file.get(`${group}/${full}`);
        if (!(dataset instanceof Dataset)) throw new Error(`${path}: no dataset ${group}/${full}`);
        const short = full.slice(full.lastIndexOf('/') + 1).replace(/:0$/, '');
        weights.set(short, { shape: dataset.shape!.map(Number), data: Float32Array.from(dataset.value as Float32Array) });
      }
      return { name: l.name, className: l.class_name, config: l.config, inputs: (l.inbound_nodes[0] ?? []).map((ref) => ref[0]), weights };
    });
    return { name: config.name, layers, output: config.output_layers[0][0] };
  } finally {
    file.close();
    h5.FS.unlink(memPath);
  }
}
