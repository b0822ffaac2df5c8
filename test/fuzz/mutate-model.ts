/** Mutations of a model folder: model.json edited as JSON, weights.bin cut or bit-flipped. */
import { bitFlips, int, interestingBytes, mutateBytes, pick, truncate, type Rng } from './mutate-bytes.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

export interface FolderMutation {
  modelJson: string | undefined;
  weightsBin: Uint8Array | undefined;
  note: string;
}

const VALUES: Json[] = [
  -1, 0, 1, 1e12, 'NaN', 'Infinity', 1e308, -1e308, 0.5, 2 ** 53, '', 'x', null, true, [], {}, [0], [-1, 28, 28],
  [1e9, 1e9, 1e9], [1, 30000, 30000], 'x'.repeat(10000),
];
const NUMBERS: Json[] = [-1, 0, 1, 1e12, 'NaN', 1e308, 0.5, 2 ** 31, 2 ** 53, 99999];

function paths(value: Json, at: Path = [], out: Path[] = []): Path[] {
  if (at.length > 0) out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  return out;
}

function parentOf(root: Json, path: Path): Record<string | number, Json> {
  let node = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  return node;
}

function valueAt(root: Json, path: Path): Json {
  return parentOf(root, path)[path[path.length - 1]];
}

function describe(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

function mutateJson(rng: Rng, text: string): { text: string; note: string } {
  const json = JSON.parse(text) as { layers: Json[] } & Record<string, Json>;
  const all = paths(json);
  const layers = json.layers;
  switch (int(rng, 6)) {
    case 0: {
      const path = pick(rng, all.filter((p) => typeof p[p.length - 1] === 'string'));
      delete parentOf(json, path)[path[path.length - 1]];
      return { text: JSON.stringify(json), note: `deleted ${describe(path)}` };
    }
    case 1: {
      const path = pick(rng, all);
      // a layer named 'NaN' would be printed by info as it is, which is not a NaN result
      const value = pick(rng, typeof valueAt(json, path) === 'string' ? VALUES.filter((v) => v !== 'NaN' && v !== 'Infinity') : VALUES);
      parentOf(json, path)[path[path.length - 1]] = value;
      return { text: JSON.stringify(json), note: `${describe(path)} = ${JSON.stringify(value).slice(0, 40)}` };
    }
    case 2: {
      const path = pick(rng, all.filter((p) => typeof valueAt(json, p) === 'number'));
      const value = pick(rng, NUMBERS);
      parentOf(json, path)[path[path.length - 1]] = value;
      return { text: JSON.stringify(json), note: `${describe(path)} = ${JSON.stringify(value)}` };
    }
    case 3: {
      const i = int(rng, layers.length);
      const j = int(rng, layers.length);
      const op = int(rng, 4);
      if (op === 0) layers.splice(j, 0, structuredClone(layers[i]));
      else if (op === 1) [layers[i], layers[j]] = [layers[j], layers[i]];
      else if (op === 2) layers.splice(i, 1);
      else layers.reverse();
      return { text: JSON.stringify(json), note: ['duplicated layer', 'swapped layers', 'deleted layer', 'reversed layers'][op] + ` ${i},${j}` };
    }
    case 4: {
      const arrays = all.filter((p) => Array.isArray(valueAt(json, p)));
      const path = pick(rng, arrays);
      parentOf(json, path)[path[path.length - 1]] = [];
      return { text: JSON.stringify(json), note: `${describe(path)} emptied` };
    }
    default: {
      const m = mutateBytes(rng, new TextEncoder().encode(text));
      return { text: new TextDecoder().decode(m.bytes), note: `model.json ${m.note}` };
    }
  }
}

export function mutateFolder(rng: Rng, modelJson: string, weightsBin: Uint8Array): FolderMutation {
  const choice = int(rng, 10);
  if (choice < 6) {
    const m = mutateJson(rng, modelJson);
    return { modelJson: m.text, weightsBin, note: m.note };
  }
  if (choice === 6) {
    const m = truncate(rng, weightsBin);
    return { modelJson, weightsBin: m.bytes, note: `weights.bin ${m.note}` };
  }
  if (choice === 7) {
    const m = rng() < 0.5 ? bitFlips(rng, weightsBin) : interestingBytes(rng, weightsBin);
    return { modelJson, weightsBin: m.bytes, note: `weights.bin ${m.note}` };
  }
  if (choice === 8) return { modelJson, weightsBin: rng() < 0.5 ? undefined : new Uint8Array(0), note: 'weights.bin missing or empty' };
  return { modelJson: pick(rng, [undefined, '', '{}', '[]', 'null', '{"format": "convscope-model", "version": 1}']), weightsBin, note: 'model.json missing or trivial' };
}
