// Just enough of PNG, JPEG and .npy to edit a header field and keep the file otherwise valid.

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  data: Uint8Array;
}

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunks(png: Uint8Array): PngChunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    chunks.push({ type, data: png.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** A PNG from chunks, every CRC computed, so that edits pass the decoder's CRC check. */
export function pngFromChunks(chunks: PngChunk[]): Uint8Array {
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for (const { type, data } of chunks) {
    const chunk = new Uint8Array(12 + data.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, data.length);
    const typed = chunk.subarray(4, 8 + data.length);
    typed.set([...type].map((c) => c.charCodeAt(0)));
    typed.set(data, 4);
    view.setUint32(8 + data.length, crc32(typed));
    parts.push(chunk);
  }
  return concat(parts);
}

/** IHDR data: width, height, bit depth, colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
export function ihdr(width: number, height: number, depth = 8, colourType = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width >>> 0);
  view.setUint32(4, height >>> 0);
  data[8] = depth;
  data[9] = colourType;
  return data;
}

/** The offset of the first start-of-frame marker's height field (width follows), or -1. */
export function jpegSofOffset(jpeg: Uint8Array): number {
  for (let at = 2; at + 9 < jpeg.length; ) {
    if (jpeg[at] !== 0xff) return -1;
    const marker = jpeg[at + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return at + 5;
    at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  }
  return -1;
}

/** A .npy file (format 1.0) with any header dictionary text and data bytes. */
export function npyFile(dict: string, data: Uint8Array, version: [number, number] = [1, 0]): Uint8Array {
  const prefix = version[0] === 1 ? 10 : 12;
  let header = dict;
  while ((prefix + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const text = new TextEncoder().encode(header);
  const head = new Uint8Array(prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1]]);
  const view = new DataView(head.buffer);
  if (prefix === 10) view.setUint16(8, Math.min(text.length, 0xffff), true);
  else view.setUint32(8, text.length, true);
  return concat([head, text, data]);
}

export function npyDict(descr: string, fortranOrder: string, shape: string): string {
  return `{'descr': ${descr}, 'fortran_order': ${fortranOrder}, 'shape': ${shape}, }`;
}

export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
