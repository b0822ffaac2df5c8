/** An 8-bit colour: red, green, blue, each 0..255. */
export type RGB = readonly [number, number, number];

import { ConvscopeError } from '../errors.ts';
import { describe } from '../check.ts';

export const COLORMAP_NAMES = ['viridis', 'grey', 'diverging'] as const;
export type ColormapName = (typeof COLORMAP_NAMES)[number];

/** Maps t in [0, 1] to a colour; t outside is clamped, NaN gives NAN_COLOUR. */
export type Colormap = (t: number) => RGB;

export const NAN_COLOUR: RGB = [128, 128, 128];

// matplotlib's _viridis_data (lib/matplotlib/_cm_listed.py, CC0), 256 entries, each channel
// rounded to 0..255 and written as six hex digits per entry.
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

const VIRIDIS: RGB[] = Array.from({ length: 256 }, (_, i) => {
  const at = (k: number): number => parseInt(VIRIDIS_HEX.slice(6 * i + 2 * k, 6 * i + 2 * k + 2), 16);
  return [at(0), at(1), at(2)];
});

function viridis(t: number): RGB {
  // matplotlib's lookup for a 256-entry ListedColormap: bin t into 256 equal intervals.
  return VIRIDIS[Math.min(255, Math.floor(t * 256))];
}

function grey(t: number): RGB {
  const v = Math.round(t * 255);
  return [v, v, v];
}

/** Blue (0) through white (0.5) to red (1), linear in each half: matplotlib's 'bwr'. */
function diverging(t: number): RGB {
  if (t <= 0.5) {
    const v = Math.round(t * 2 * 255);
    return [v, v, 255];
  }
  const v = Math.round((1 - t) * 2 * 255);
  return [255, v, v];
}

const MAPS: Record<ColormapName, Colormap> = { viridis, grey, diverging };

export function colormap(name: ColormapName): Colormap {
  const map = Object.hasOwn(MAPS, name) ? MAPS[name] : undefined;
  if (map === undefined) {
    throw new ConvscopeError('E_ARGUMENT', `unknown colormap ${typeof name === 'string' ? `'${name}'` : describe(name)}; valid colormaps: ${COLORMAP_NAMES.join(', ')}`);
  }
  return (t) => (Number.isNaN(t) ? NAN_COLOUR : map(t < 0 ? 0 : t > 1 ? 1 : t));
}

/** Checks a colour: three whole numbers from 0 to 255. */
export function checkRgb(value: unknown, what: string): asserts value is RGB {
  if (!(Array.isArray(value) && value.length === 3 && value.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))) {
    throw new ConvscopeError('E_ARGUMENT', `${what} must be a colour [red, green, blue], each a whole number from 0 to 255, not ${describe(value)}`);
  }
}

/** Maps min..max to 0..1; a constant map becomes all 0. NaN stays NaN and is ignored for the range. */
export function normalizeMinMax(data: ArrayLike<number>): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  const range = max - min;
  const out = new Float32Array(data.length);
  // With no range every value is min or NaN, so data[i] - min is 0 or NaN.
  for (let i = 0; i < data.length; i++) out[i] = range > 0 ? (data[i] - min) / range : data[i] - min;
  return out;
}

/** The largest |x|, ignoring NaN; 0 means every value is ±0 or NaN. */
function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > m) m = a;
  }
  return m;
}

/** Keeps zero at 0.5: -max|x| -> 0, +max|x| -> 1; an all-zero map becomes all 0.5. For diverging maps. */
export function normalizeSymmetric(data: ArrayLike<number>): Float32Array {
  const m = maxAbs(data);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = m > 0 ? 0.5 + (0.5 * data[i]) / m : 0.5 + data[i];
  return out;
}

/** |x| / max|x|; an all-zero map becomes all 0. */
export function normalizeAbs(data: ArrayLike<number>): Float32Array {
  const m = maxAbs(data);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = m > 0 ? Math.abs(data[i]) / m : Math.abs(data[i]);
  return out;
}
