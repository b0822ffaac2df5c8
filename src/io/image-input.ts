import { resizeBilinear } from './resize.ts';
import { decodePng } from './png-decode.ts';
import jpeg from 'jpeg-js';
import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';

export interface ImageInputOptions {
  channels: 1 | 3;
  height: number;
  width: number;
  /** Multiplies the 0..255 pixel values first; default 1 (use 1/255 for 0..1 inputs). */
  scale?: number;
  /** Subtracted after scaling; one entry for every channel, or one per channel. */
  mean?: number[];
  /** Divides after subtracting the mean; one entry, or one per channel. */
  std?: number[];
  /** Names the image in messages (its file name); default 'image'. */
  name?: string;
}

/** Decoded RGBA pixels, as a canvas's getImageData() returns them (ImageData has this shape). */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** A PNG or JPEG file's bytes, or pixels already decoded. */
export type ImageSource = Uint8Array | ArrayBuffer | ImageDataLike;

/** Decoded pixels: `channels` interleaved samples a pixel (grey, grey+alpha, RGB, RGBA) of 0..maxSample. */
interface Decoded {
  width: number;
  height: number;
  samples: ArrayLike<number>;
  channels: number;
  maxSample: number;
}

const SUPPORTED = 'supported formats: PNG, JPEG';
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
// jpeg-js's own default; above it a decode throws rather than exhausting the heap.
const JPEG_MAX_MEMORY_MB = 512;

/**
 * Reads a PNG or JPEG file's bytes (told apart by their magic bytes), or decoded RGBA pixels, as a
 * model input of shape (channels, height, width). (The Node entry also takes a path.)
 *
 * Alpha is dropped, not composited, as Keras's image loading does (a tRNS chunk's transparent colour
 * keeps its colour, as PIL's convert('RGB') keeps it). Colour becomes grey by ITU-R 601 luma
 * (0.299 R + 0.587 G + 0.114 B); grey becomes colour by repetition. 16-bit and low-bit-depth
 * PNGs are scaled to 0..255 without rounding. The image is then resized, unless it
 * already has the size, by bilinear interpolation with half-pixel centres, as
 * tf.image.resize(method='bilinear', antialias=False) does; there is no antialiasing, so a large
 * reduction skips pixels (PIL's BILINEAR would average them). Finally each value becomes
 * (pixel * scale - mean[c]) / std[c].
 *
 * ```ts
 * const x = readImageTensor(pngBytes, { channels: 1, height: 28, width: 28, scale: 1 / 255 });
 * const batch = x.reshape([1, 1, 28, 28]);
 * ```
 */
export function readImageTensor(source: ImageSource, opts: ImageInputOptions): Tensor {
  const { channels, height, width, scale = 1, name: path = 'image' } = opts;
  const fail = (problem: string): never => {
    throw new ConvscopeError('E_ARGUMENT', `${path}: ${problem}`);
  };
  if (channels !== 1 && channels !== 3) fail(`channels must be 1 or 3, got ${channels}`);
  if (!isPositiveInt(height) || !isPositiveInt(width)) fail(`height and width must be positive integers, got ${height}x${width}`);
  const mean = perChannel(opts.mean, 0, 'mean', channels, fail);
  const std = perChannel(opts.std, 1, 'std', channels, fail);
  if (std.some((s) => s === 0)) fail('std has a 0 entry');

  const image = isImageData(source)
    ? { width: source.width, height: source.height, samples: source.data, channels: 4, maxSample: 255 }
    : decode(toBytes(source, fail), fail);
  const planes = toPlanes(image, channels);
  const sized = image.height === height && image.width === width
    ? planes
    : resizeBilinear(planes, channels, image.height, image.width, height, width);

  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    for (let i = c * plane; i < (c + 1) * plane; i++) sized[i] = (sized[i] * scale - mean[c]) / std[c];
  }
  return new Tensor([channels, height, width], sized);
}

function isImageData(source: ImageSource): source is ImageDataLike {
  return typeof source === 'object' && source !== null && 'data' in source && 'width' in source && 'height' in source &&
    (source.data instanceof Uint8ClampedArray || source.data instanceof Uint8Array) && source.data.length === 4 * source.width * source.height;
}

function toBytes(source: ImageSource, fail: (p: string) => never): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return fail('expected the bytes of a PNG or JPEG file (Uint8Array or ArrayBuffer) or RGBA pixels ({ data, width, height })');
}

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

function perChannel(values: number[] | undefined, fallback: number, name: string, channels: number, fail: (p: string) => never): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fallback);
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) {
    fail(`${name} has ${values.length} entries but the input has ${channels} channel${channels === 1 ? '' : 's'}; give one entry, or one per channel`);
  }
  return values;
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

function decode(bytes: Uint8Array, fail: (p: string) => never): Decoded {
  if (startsWith(bytes, PNG_MAGIC)) {
    try {
      return decodePng(bytes);
    } catch (e) {
      return fail(`corrupt or truncated PNG (${(e as Error).message})`);
    }
  }
  if (startsWith(bytes, JPEG_MAGIC)) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB });
      return { width: img.width, height: img.height, samples: img.data, channels: 4, maxSample: 255 };
    } catch (e) {
      return fail(`cannot decode JPEG: corrupt, truncated or too large (jpeg-js: ${(e as Error).message})`);
    }
  }
  return fail(`not a PNG or JPEG image (${SUPPORTED})`);
}

/** Interleaved samples to channels-first float planes of 0..255 (alpha dropped). */
function toPlanes({ width, height, samples, channels: stride, maxSample }: Decoded, channels: 1 | 3): Float32Array {
  const n = width * height;
  const k = 255 / maxSample;
  const colour = stride >= 3 ? 1 : 0; // grey and grey+alpha: one sample for R, G and B
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) {
    const r = samples[stride * i] * k;
    const g = samples[stride * i + colour] * k;
    const b = samples[stride * i + 2 * colour] * k;
    if (channels === 1) {
      out[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      out[i] = r;
      out[n + i] = g;
      out[2 * n + i] = b;
    }
  }
  return out;
}
