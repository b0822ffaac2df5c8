import { resizeBilinear } from './resize.ts';
import { decodePng } from './png-decode.ts';
import jpeg from 'jpeg-js';
import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory, memoryLimit } from '../limits.ts';
import { argumentError, checkOptions, describe } from '../check.ts';
import { checkImageSize, isJpeg, isPng, readImageHeader } from './image-header.ts';
import { drawablePixels, isDrawable, type DrawableLike } from './drawable-pixels.ts';

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

/**
 * A PNG or JPEG file's bytes, pixels already decoded, or in a browser anything a canvas draws
 * (an <img> that has loaded, a <canvas>, an OffscreenCanvas, an ImageBitmap).
 */
export type ImageSource = Uint8Array | ArrayBuffer | ImageDataLike | DrawableLike;

/** Decoded pixels: `channels` interleaved samples a pixel (grey, grey+alpha, RGB, RGBA) of 0..maxSample. */
interface Decoded {
  width: number;
  height: number;
  samples: ArrayLike<number>;
  channels: number;
  maxSample: number;
}

/**
 * Reads a PNG or JPEG file's bytes (told apart by their magic bytes), decoded RGBA pixels, or in a browser an image element, canvas or ImageBitmap, as a
 * model input of shape (channels, height, width). (The Node entry also takes a path.)
 *
 * The image's size is read from its header first and the decode refused (E_TOO_LARGE) when it
 * would pass the memory limit (limits.ts); scale, mean and std must keep every pixel finite.
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
  const { channels, height, width, scale, mean, std, name } = checkImageOptions(opts);
  const pixels = isDrawable(source) ? drawablePixels(source, name) : source;
  const image = isImageData(pixels) ? fromImageData(pixels, name, channels) : decode(toBytes(pixels, name), name, channels);
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

/**
 * The options with their defaults, each checked: channels 1 or 3, a size that fits the memory
 * limit, and scale, mean and std finite numbers whose results stay finite for 0..255 pixels
 * (a std of 1e-45 or a scale of 1e38 would make every value Infinity).
 */
function checkImageOptions(options: ImageInputOptions): Required<ImageInputOptions> {
  const opts = checkOptions(options, 'the image options');
  const { channels, height, width, scale = 1, name = 'image' } = opts;
  if (typeof name !== 'string') throw argumentError(`the image's name must be a string, not ${describe(name)}`);
  const fail = (problem: string): never => {
    throw argumentError(`${name}: ${problem}`);
  };
  if (channels !== 1 && channels !== 3) fail(`channels must be 1 or 3, not ${describe(channels)}`);
  if (!isPositiveInt(height) || !isPositiveInt(width)) fail(`height and width must be positive integers, not ${describe(height)} and ${describe(width)}`);
  checkMemory(channels * height * width * 4, `${name}: an input of ${channels}x${height}x${width}`);
  if (!(typeof scale === 'number' && Number.isFinite(scale))) fail(`scale must be a finite number, not ${describe(scale)}`);
  const mean = perChannel(opts.mean, 0, 'mean', channels, fail);
  const std = perChannel(opts.std, 1, 'std', channels, fail);
  if (std.some((s) => s === 0)) fail('std has a 0 entry');
  for (let c = 0; c < channels; c++) {
    for (const pixel of [0, 255]) {
      const v = Math.fround((Math.fround(pixel * scale) - mean[c]) / std[c]);
      if (!Number.isFinite(v)) {
        fail(`scale ${scale}, mean ${mean[c]} and std ${std[c]} turn the pixel value ${pixel} into ${v}; choose values that keep 0..255 within float32 range`);
      }
    }
  }
  return { channels, height, width, scale, mean, std, name };
}

function isImageData(source: ImageSource): source is ImageDataLike {
  return typeof source === 'object' && source !== null && 'data' in source && 'width' in source && 'height' in source &&
    (source.data instanceof Uint8ClampedArray || source.data instanceof Uint8Array) && source.data.length === 4 * source.width * source.height;
}

function fromImageData(source: ImageDataLike, name: string, channels: number): Decoded {
  const { width, height } = source;
  if (!isPositiveInt(width) || !isPositiveInt(height)) {
    throw argumentError(`${name}: the pixels must be at least 1x1, not ${describe(width)}x${describe(height)}`);
  }
  checkMemory(width * height * channels * 4, `${name}: the ${width}x${height} pixels as ${channels} float plane${channels === 1 ? '' : 's'}`);
  return { width, height, samples: source.data, channels: 4, maxSample: 255 };
}

function toBytes(source: ImageSource, name: string): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw argumentError(`${name}: expected the bytes of a PNG or JPEG file (Uint8Array or ArrayBuffer), RGBA pixels ({ data, width, height }) or an image element, canvas or ImageBitmap, not ${describe(source)}`);
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

function perChannel(values: unknown, fallback: number, name: string, channels: number, fail: (p: string) => never): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fallback);
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return fail(`${name} must be an array of finite numbers, not ${describe(values)}`);
  }
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) {
    fail(`${name} has ${values.length} entries but the input has ${channels} channel${channels === 1 ? '' : 's'}; give one entry, or one per channel`);
  }
  return values;
}

/** The decoders' own messages, kept when they are plain text (not a TypeError from inside). */
function decoderDetail(e: unknown): string {
  const message = typeof e === 'string' ? e : e instanceof Error && e.constructor === Error ? e.message : '';
  return message && !/undefined|TypeError|RangeError|Cannot read/.test(message) ? ` (${message})` : '';
}

function decode(bytes: Uint8Array, name: string, channels: number): Decoded {
  const header = readImageHeader(bytes, name);
  checkImageSize(header, name, channels);
  if (isPng(bytes)) {
    try {
      return decodePng(bytes);
    } catch (e) {
      throw new ConvscopeError('E_FORMAT', `${name}: corrupt or truncated PNG${decoderDetail(e)}`);
    }
  }
  if (isJpeg(bytes)) {
    try {
      // jpeg-js's own limits, as a second guard behind the header check: the same memory ceiling.
      const img = jpeg.decode(bytes, {
        useTArray: true, formatAsRGBA: true, tolerantDecoding: false,
        maxMemoryUsageInMB: Math.max(1, Math.floor(memoryLimit() / 2 ** 20)),
        maxResolutionInMP: memoryLimit() / 4 / 1e6,
      });
      return { width: img.width, height: img.height, samples: img.data, channels: 4, maxSample: 255 };
    } catch (e) {
      throw new ConvscopeError('E_FORMAT', `${name}: cannot decode JPEG: corrupt or truncated${decoderDetail(e)}`);
    }
  }
  throw new ConvscopeError('E_FORMAT', `${name}: not a PNG or JPEG image (supported formats: PNG, JPEG)`);
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
