import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { MAGIC, startsWith } from './magic.ts';

/**
 * An image's size from its header bytes (PNG IHDR, JPEG SOF), read before anything is decoded,
 * so that a few bytes declaring 65535x65535 pixels are refused instead of allocating gigabytes.
 */
export interface ImageHeader {
  format: 'PNG' | 'JPEG';
  width: number;
  height: number;
  /** PNG: samples per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; a palette counts 1). JPEG: components. */
  samples: number;
  /** PNG: bits per sample (1..16). JPEG: 8. */
  depth: number;
  /** PNG: the compressed pixel bytes present (all IDAT chunks). */
  compressedBytes: number;
}

const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Deflate cannot compress by more than about 1032:1, so less IDAT than raw / 1032 is a damaged file.
const DEFLATE_MAX_RATIO = 1032;

export function isPng(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC.png);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC.jpeg);
}

/** The header of a PNG or JPEG (told apart by their magic bytes); `name` names the file in errors. */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (isPng(bytes)) return pngHeader(bytes, name);
  if (isJpeg(bytes)) return jpegHeader(bytes, name);
  throw new ConvscopeError('E_FORMAT', `${name}: not a PNG or JPEG image (supported formats: PNG, JPEG)`);
}

function pngHeader(bytes: Uint8Array, name: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 33 || type(12) !== 'IHDR' || view.getUint32(8) !== 13) {
    throw new ConvscopeError('E_FORMAT', `${name}: corrupt or truncated PNG (no IHDR chunk after the signature)`);
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24];
  const samples = PNG_SAMPLES[bytes[25]];
  if (samples === undefined || ![1, 2, 4, 8, 16].includes(depth)) {
    throw new ConvscopeError('E_FORMAT', `${name}: corrupt PNG (colour type ${bytes[25]} with bit depth ${depth} in IHDR)`);
  }
  let compressedBytes = 0;
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    if (type(at + 4) === 'IDAT') compressedBytes += Math.min(length, bytes.length - at - 8);
    at += 12 + length;
  }
  return { format: 'PNG', width, height, samples, depth, compressedBytes };
}

// Start-of-frame markers: baseline, extended, progressive, lossless, in Huffman and arithmetic coding.
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const START_OF_SCAN = 0xda;

function jpegHeader(bytes: Uint8Array, name: string): ImageHeader {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1];
    // Fill bytes, and markers that have no length (RSTn, TEM).
    if (marker === 0xff) { at++; continue; }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (SOF_MARKERS.has(marker)) {
      if (at + 10 > bytes.length) break;
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      return { format: 'JPEG', width, height, samples: bytes[at + 9], depth: bytes[at + 4], compressedBytes: bytes.length };
    }
    if (marker === START_OF_SCAN || length < 2) break;
    at += 2 + length;
  }
  throw new ConvscopeError('E_FORMAT', `${name}: corrupt or truncated JPEG (no frame header with the image size)`);
}

/**
 * Refuses an image whose declared size is zero, cannot be held by the data present, or whose
 * decoding (the decoder's buffers, the RGBA pixels, `channels` float planes) would pass the memory
 * limit. Returns the bytes the decode needs.
 */
export function checkImageSize(header: ImageHeader, name: string, channels: number): number {
  const { format, width, height, samples, depth } = header;
  const size = `${width}x${height}`;
  if (width === 0 || height === 0) {
    throw new ConvscopeError('E_FORMAT', `${name}: the ${format} header declares ${size} pixels; an image needs at least one`);
  }
  const pixels = width * height;
  const planes = pixels * channels * 4;
  if (format === 'PNG') {
    const raw = height * (1 + Math.ceil((width * samples * depth) / 8));
    // fast-png inflates and unfilters the rows (two copies of raw); a palette or a low bit depth is
    // then expanded to a byte a sample (at most four a pixel).
    const needed = 2 * raw + pixels * 4 + planes;
    checkMemory(needed, `${name}: decoding this ${size} ${format}`);
    if (raw > header.compressedBytes * DEFLATE_MAX_RATIO) {
      throw new ConvscopeError('E_FORMAT', `${name}: corrupt or truncated PNG: its ${header.compressedBytes} bytes of pixel data cannot hold the ${size} pixels its header declares`);
    }
    return needed;
  }
  // jpeg-js keeps a 256-byte Int32Array (and its object, ~100 bytes) per 8x8 block and component,
  // one byte per sample decoded, then RGBA.
  const needed = pixels * samples * (Math.ceil(356 / 64) + 1) + pixels * 4 + planes;
  checkMemory(needed, `${name}: decoding this ${size} ${format}`);
  return needed;
}
