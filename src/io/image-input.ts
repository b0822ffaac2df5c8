import { resizeBilinear } from './resize.ts';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { Tensor } from '../tensor.ts';
import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { checkMemory, memoryLimit } from '../limits.ts';
import { argumentError, checkOptions, describe } from '../check.ts';
import { checkImageSize, isJpeg, isPng, readImageHeader } from './image-header.ts';

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
}

/** Decoded pixels, always four interleaved samples (R, G, B, A) of 0..maxSample. */
interface Decoded {
  width: number;
  height: number;
  rgba: ArrayLike<number>;
  maxSample: number;
}


/**
 * Reads a PNG or JPEG file (told apart by their magic bytes) as a model input of shape
 * (channels, height, width).
 *
 * Alpha is dropped, not composited, as Keras's image loading does (except that pngjs blackens
 * the one colour a tRNS chunk marks transparent). Colour becomes grey by ITU-R 601 luma
 * (0.299 R + 0.587 G + 0.114 B); grey becomes colour by repetition. 16-bit and low-bit-depth
 * PNGs are scaled to 0..255 without rounding. The image is then resized, unless it
 * already has the size, by bilinear interpolation with half-pixel centres, as
 * tf.image.resize(method='bilinear', antialias=False) does; there is no antialiasing, so a large
 * reduction skips pixels (PIL's BILINEAR would average them). Finally each value becomes
 * (pixel * scale - mean[c]) / std[c].
 *
 * ```ts
 * const x = readImageTensor('digit.png', { channels: 1, height: 28, width: 28, scale: 1 / 255 });
 * const batch = x.reshape([1, 1, 28, 28]);
 * ```
 */
export function readImageTensor(path: string, opts: ImageInputOptions): Tensor {
  if (typeof path !== 'string' || path === '') throw argumentError(`the image must be a path, not ${describe(path)}`);
  const { channels, height, width, scale, mean, std } = checkImageOptions(opts, path);
  const image = decode(readFileSync(path), path, channels);
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
 * limit, and scale, mean and std finite numbers whose quotients stay finite for 0..255 pixels
 * (a std of 1e-45 or a scale of 1e38 would make every value Infinity).
 */
function checkImageOptions(options: ImageInputOptions, name: string): Required<ImageInputOptions> {
  const opts = checkOptions(options, 'the image options');
  const { channels, height, width, scale = 1 } = opts;
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
  return { channels, height, width, scale, mean, std };
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
  const fail = (code: ErrorCode, problem: string): never => {
    throw new ConvscopeError(code, `${name}: ${problem}`);
  };
  if (isPng(bytes)) {
    let png;
    try {
      // skipRescale: 16-bit samples arrive whole, and are scaled in float below.
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
    } catch (e) {
      return fail('E_FORMAT', `corrupt or truncated PNG${decoderDetail(e)}`);
    }
    // A palette image arrives as 8-bit colours whatever its index depth.
    const maxSample = png.palette ? 255 : 2 ** png.depth - 1;
    return { width: png.width, height: png.height, rgba: png.data, maxSample };
  }
  if (isJpeg(bytes)) {
    try {
      // jpeg-js's own limits, as a second guard behind the header check: the same memory ceiling.
      const img = jpeg.decode(bytes, {
        useTArray: true, formatAsRGBA: true, tolerantDecoding: false,
        maxMemoryUsageInMB: Math.max(1, Math.floor(memoryLimit() / 2 ** 20)),
        maxResolutionInMP: memoryLimit() / 4 / 1e6,
      });
      return { width: img.width, height: img.height, rgba: img.data, maxSample: 255 };
    } catch (e) {
      return fail('E_FORMAT', `cannot decode JPEG: corrupt or truncated${decoderDetail(e)}`);
    }
  }
  return fail('E_FORMAT', 'not a PNG or JPEG image (supported formats: PNG, JPEG)');
}

/** Interleaved RGBA to channels-first float planes of 0..255. */
function toPlanes({ width, height, rgba, maxSample }: Decoded, channels: 1 | 3): Float32Array {
  const n = width * height;
  const k = 255 / maxSample;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i] * k;
    const g = rgba[4 * i + 1] * k;
    const b = rgba[4 * i + 2] * k;
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
