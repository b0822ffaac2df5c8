import { decode, convertIndexedToRgb } from 'fast-png';

/** A decoded PNG: `channels` interleaved samples a pixel (grey, grey+alpha, RGB or RGBA) of 0..maxSample. */
export interface DecodedPng {
  width: number;
  height: number;
  samples: ArrayLike<number>;
  channels: number;
  maxSample: number;
}

/**
 * Decodes a PNG with fast-png (plain JavaScript, no Node built-ins, so the same decoder runs in
 * browsers). Palette images become their 8-bit colours; 16-bit and low-bit-depth samples arrive
 * whole and `maxSample` says their range. Throws fast-png's error on a damaged file.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const png = decode(bytes);
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    return { width: png.width, height: png.height, samples: rgb, channels: rgb.length / (png.width * png.height), maxSample: 255 };
  }
  const samples = png.depth < 8 ? unpackBits(png.data, png.width * png.channels, png.height, png.depth) : png.data;
  return { width: png.width, height: png.height, samples, channels: png.channels, maxSample: 2 ** png.depth - 1 };
}

/** fast-png leaves 1-, 2- and 4-bit samples packed, rows padded to whole bytes, first sample in the high bits. */
function unpackBits(packed: ArrayLike<number>, rowSamples: number, rows: number, depth: number): Uint8Array {
  const out = new Uint8Array(rowSamples * rows);
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < rowSamples; x++) {
      const bit = x * depth;
      out[y * rowSamples + x] = (packed[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}
