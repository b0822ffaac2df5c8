/** Mutations that know a format: header fields edited so that the file still passes its checksums. */
import { bitFlips, int, interestingBytes, mutateBytes, pick, type Mutation, type Rng } from './mutate-bytes.ts';
import { float32Bytes, ihdr, jpegSofOffset, npyDict, npyFile, pngChunks, pngFromChunks, type PngChunk } from './formats.ts';

const DIMENSIONS = [0, 1, 2, 27, 28, 29, 255, 256, 20000, 30000, 65535, 65536, 2 ** 31 - 1, 2 ** 32 - 1];

export function mutatePng(rng: Rng, png: Uint8Array): Mutation {
  const chunks = pngChunks(png);
  const header = chunks[0].data;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  switch (int(rng, 5)) {
    case 0: {
      const width = rng() < 0.5 ? pick(rng, DIMENSIONS) : view.getUint32(0);
      const height = rng() < 0.5 ? pick(rng, DIMENSIONS) : view.getUint32(4);
      const depth = rng() < 0.3 ? pick(rng, [0, 1, 2, 3, 4, 8, 16, 255]) : header[8];
      const colour = rng() < 0.3 ? pick(rng, [0, 1, 2, 3, 4, 6, 7]) : header[9];
      const data = ihdr(width, height, depth, colour);
      data[12] = rng() < 0.1 ? pick(rng, [1, 2]) : header[12];
      return { bytes: pngFromChunks([{ type: 'IHDR', data }, ...chunks.slice(1)]), note: `IHDR ${width}x${height} depth ${depth} colour ${colour} interlace ${data[12]} (CRC fixed)` };
    }
    case 1: {
      const i = int(rng, chunks.length);
      const edited = mutateBytes(rng, chunks[i].data);
      const next = chunks.map((c, j) => (j === i ? { type: c.type, data: edited.bytes } : c));
      return { bytes: pngFromChunks(next), note: `${chunks[i].type} data: ${edited.note} (CRC fixed)` };
    }
    case 2: {
      const i = int(rng, chunks.length);
      const next: PngChunk[] = rng() < 0.5 ? [...chunks.slice(0, i + 1), chunks[i], ...chunks.slice(i + 1)] : chunks.filter((_, j) => j !== i);
      return { bytes: pngFromChunks(next), note: `${chunks[i].type} chunk ${next.length > chunks.length ? 'duplicated' : 'deleted'}` };
    }
    case 3: {
      const extra = pick(rng, [
        { type: 'PLTE', data: new Uint8Array(int(rng, 800)) },
        { type: 'tRNS', data: new Uint8Array(int(rng, 300)).fill(0xff) },
        { type: 'IDAT', data: new Uint8Array(int(rng, 64)) },
        { type: 'zzZz', data: new Uint8Array(16) },
      ]);
      const at = 1 + int(rng, chunks.length - 1);
      return { bytes: pngFromChunks([...chunks.slice(0, at), extra, ...chunks.slice(at)]), note: `${extra.type} of ${extra.data.length} bytes inserted at chunk ${at}` };
    }
    default:
      return mutateBytes(rng, png);
  }
}

export function mutateJpeg(rng: Rng, jpeg: Uint8Array): Mutation {
  const sof = jpegSofOffset(jpeg);
  switch (int(rng, 4)) {
    case 0: {
      const bytes = jpeg.slice();
      const view = new DataView(bytes.buffer);
      const height = pick(rng, [0, 1, 8, 28, 29, 20000, 30000, 65535]);
      const width = pick(rng, [0, 1, 8, 28, 29, 20000, 30000, 65535]);
      view.setUint16(sof, height);
      view.setUint16(sof + 2, width);
      if (rng() < 0.2) bytes[sof + 4] = pick(rng, [0, 2, 3, 4, 255]);
      if (rng() < 0.1) bytes[sof - 1] = pick(rng, [0, 12, 16]);
      return { bytes, note: `SOF ${width}x${height}, components ${bytes[sof + 4]}, precision ${bytes[sof - 1]}` };
    }
    case 1:
      return bitFlips(rng, jpeg, 2, sof + 16);
    case 2:
      return interestingBytes(rng, jpeg, 2, jpeg.length);
    default:
      return mutateBytes(rng, jpeg);
  }
}

const NPY_DESCR = ["'<f4'", "'>f4'", "'<f8'", "'<i2'", "'|u1'", "'|b1'", "'<c8'", "'|O'", "'<f2'", "'<U5'", "'f4'", '4', 'None', "'<f4 '"];
const NPY_SHAPE = [
  '(1, 28, 28)', '(28, 28)', '(1, 1, 28, 28)', '(784,)', '()', '(0,)', '(0, 28, 28)', '(3, 28, 28)', '(2, 1, 28, 28)',
  '(65535, 65535)', '(1, 30000, 30000)', '(-1, 28, 28)', '(1, 28, -28)', '(1e3,)', "('a',)", '(1099511627776,)',
  '(99999999999999999999,)', '(1, 28, 28', '[1, 28, 28]', 'None', '(1,28,28,)', '(1, 2.5, 28)',
];
const NPY_ORDER = ['False', 'True', '1', "'x'", 'None'];

export function mutateNpy(rng: Rng, npy: Uint8Array, pixels: Float32Array): Mutation {
  const data = float32Bytes(pixels);
  switch (int(rng, 5)) {
    case 0:
    case 1: {
      const descr = rng() < 0.6 ? pick(rng, NPY_DESCR) : "'<f4'";
      const order = rng() < 0.3 ? pick(rng, NPY_ORDER) : 'False';
      const shape = rng() < 0.7 ? pick(rng, NPY_SHAPE) : '(1, 28, 28)';
      const dict = npyDict(descr, order, shape);
      return { bytes: npyFile(dict, data), note: `header ${dict}` };
    }
    case 2: {
      const dict = pick(rng, [
        "{'descr': '<f4', 'shape': (1, 28, 28), }",
        "{'fortran_order': False, 'shape': (1, 28, 28), }",
        "{'descr': '<f4', 'fortran_order': False, }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), 'extra': 1, }",
        '[]', '', 'garbage', '{', "{'descr': 'ü', 'fortran_order': False, 'shape': (1, 28, 28), }",
        `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), 'pad': '${'x'.repeat(70000)}', }`,
      ]);
      return { bytes: npyFile(dict, data, pick(rng, [[1, 0], [2, 0], [3, 0]] as [number, number][])), note: `header ${dict.slice(0, 80)}` };
    }
    case 3: {
      const values = Float32Array.from(pixels);
      const special = pick(rng, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45]);
      values[int(rng, values.length)] = special;
      return { bytes: npyFile(npyDict("'<f4'", 'False', '(1, 28, 28)'), float32Bytes(values)), note: `one value ${special}` };
    }
    default: {
      const bytes = npy.slice();
      const view = new DataView(bytes.buffer);
      const edit = int(rng, 3);
      if (edit === 0) bytes[6] = pick(rng, [0, 2, 3, 4, 255]);
      else if (edit === 1) view.setUint16(8, pick(rng, [0, 1, 63, 119, 200, 65535]), true);
      else return mutateBytes(rng, npy);
      return { bytes, note: edit === 0 ? `version byte ${bytes[6]}` : `header length ${view.getUint16(8, true)}` };
    }
  }
}

/** The model_config JSON inside an .h5 file: edits that keep its length keep the HDF5 structure valid. */
export function configSpan(h5: Uint8Array): [number, number] {
  const text = new TextDecoder('latin1').decode(h5.subarray(0, Math.min(h5.length, 1 << 16)));
  const start = text.indexOf('{"class_name"');
  const end = text.indexOf('\0', start);
  return [start, end];
}

const SAME_LENGTH_SWAPS: [string, string][] = [
  ['"relu"', '"tanh"'], ['"relu"', '"selu"'], ['"softmax"', '"sigmoid"'], ['"valid"', '"same" '], ['"Conv2D"', '"Dense" '],
  ['"Dense"', '"LSTMx"'], ['"Flatten"', '"Dropout"'], ['true', 'null'], ['null', '1e99'], ['null', '-100'], ['28', '99'], ['28', '-1'],
  ['16', '00'], ['[5, 5]', '[0, 5]'], ['"conv1"', '"conv2"'], ['"dense1"', '"dense2"'], ['"channels_first"', '"channels_last" '],
  ['"Sequential"', '"Functional"'], ['"config"', '"xonfig"'], ['"name"', '"nome"'],
];

export function mutateH5(rng: Rng, h5: Uint8Array): Mutation {
  const [start, end] = configSpan(h5);
  switch (int(rng, 4)) {
    case 0: {
      const bytes = h5.slice();
      const text = new TextDecoder('latin1').decode(bytes.subarray(start, end));
      const edits: string[] = [];
      for (let n = 1 + int(rng, 2); n > 0; n--) {
        const [from, to] = pick(rng, SAME_LENGTH_SWAPS);
        const hits = [...text.matchAll(new RegExp(from.replace(/[[\]]/g, '\\$&'), 'g'))];
        if (hits.length === 0) continue;
        const at = start + (pick(rng, hits).index ?? 0);
        bytes.set([...to].map((c) => c.charCodeAt(0)), at);
        edits.push(`${from}->${to} at ${at}`);
      }
      return { bytes, note: `model_config ${edits.join(', ') || 'unchanged'}` };
    }
    case 1:
      return interestingBytes(rng, h5, start, end);
    case 2:
      return bitFlips(rng, h5, 0, rng() < 0.5 ? 8192 : h5.length);
    default:
      return mutateBytes(rng, h5);
  }
}
