import { deflateSync } from 'node:zlib';
import { crc32 } from '../fuzz/formats.ts';

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** A PNG with a valid IHDR declaring width x height (8-bit, colorType), and `idat` as its only IDAT chunk. */
export function pngDeclaring(width: number, height: number, idat: Uint8Array, colorType = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A real 8-bit grey PNG of the given rows of values. */
export function greyPng(rows: number[][]): Buffer {
  return pngDeclaring(rows[0].length, rows.length, deflateSync(Buffer.concat(rows.map((r) => Buffer.from([0, ...r])))));
}

/** The first bytes of a baseline JPEG: SOI, then a SOF0 frame header declaring width x height with `components`. */
export function jpegDeclaring(width: number, height: number, components = 3): Buffer {
  const sof = [0xff, 0xc0, 0, 8 + 3 * components, 8, height >> 8, height & 255, width >> 8, width & 255, components];
  for (let c = 0; c < components; c++) sof.push(c + 1, 0x11, 0);
  return Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, ...sof, 0xff, 0xd9]);
}
