// One-node ONNX models for the onnxruntime peers, encoded by hand: the few protobuf fields of
// ModelProto that a single operator needs (onnx.proto3, IR version 8, default opset 13), so the
// bench needs no ONNX builder package. Weights are initializers (constants, as in a real
// network, which lets onnxruntime prepack them); activations are graph inputs fed each run.

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** TensorProto.DataType */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`onnx-model: cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const intField = (field: number, value: number) => Uint8Array.from([...varint((field << 3) | WIRE_VARINT), ...varint(value)]);
const bytesField = (field: number, bytes: Uint8Array) => concat([Uint8Array.from([...varint((field << 3) | WIRE_BYTES), ...varint(bytes.length)]), bytes]);
const floatField = (field: number, value: number) => concat([Uint8Array.from(varint((field << 3) | WIRE_FIXED32)), new Uint8Array(Float32Array.of(value).buffer)]);
const stringField = (field: number, s: string) => bytesField(field, new TextEncoder().encode(s));
const messageField = (field: number, ...parts: Uint8Array[]) => bytesField(field, concat(parts));

export interface OnnxValue {
  name: string;
  elemType: number;
  shape: readonly number[];
}

export interface OnnxInitializer {
  name: string;
  /** [] for a scalar (Clip's bounds). */
  shape: readonly number[];
  /** float32, or int64 (Pad's pads). */
  data: Float32Array | BigInt64Array;
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** INTS attributes (pads, strides, kernel_shape, ...). */
  ints?: Record<string, readonly number[]>;
  /** INT attributes (Conv's group). */
  int?: Record<string, number>;
  /** FLOAT attributes (BatchNormalization's epsilon). */
  float?: Record<string, number>;
}

// ValueInfoProto { name = 1; type = 2 } ; TypeProto { tensor_type = 1 } ; TypeProto.Tensor { elem_type = 1; shape = 2 }
// TensorShapeProto { dim = 1 } ; Dimension { dim_value = 1 }
function valueInfo(field: number, v: OnnxValue): Uint8Array {
  const dims = v.shape.map((d) => messageField(1, intField(1, d)));
  return messageField(field, stringField(1, v.name), messageField(2, messageField(1, intField(1, v.elemType), messageField(2, ...dims))));
}

// TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 }, raw_data little-endian
function initializer(t: OnnxInitializer): Uint8Array {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const type = t.data instanceof BigInt64Array ? ONNX_INT64 : ONNX_FLOAT;
  return messageField(5, ...t.shape.map((d) => intField(1, d)), intField(2, type), stringField(8, t.name), bytesField(9, raw));
}

// NodeProto { input = 1; output = 2; op_type = 4; attribute = 5 } ; AttributeProto { name = 1; f = 2; i = 3; ints = 8; type = 20 }
function node(n: OnnxNode): Uint8Array {
  const attributes = [
    ...Object.entries(n.ints ?? {}).map(([name, ints]) =>
      messageField(5, stringField(1, name), ...ints.map((i) => intField(8, i)), intField(20, ATTR_INTS))),
    ...Object.entries(n.int ?? {}).map(([name, i]) => messageField(5, stringField(1, name), intField(3, i), intField(20, ATTR_INT))),
    ...Object.entries(n.float ?? {}).map(([name, f]) => messageField(5, stringField(1, name), floatField(2, f), intField(20, ATTR_FLOAT))),
  ];
  return messageField(1, ...n.inputs.map((s) => stringField(1, s)), ...n.outputs.map((s) => stringField(2, s)), stringField(4, n.opType), ...attributes);
}

/** The bytes of a ModelProto whose graph is one node, ready for InferenceSession.create. */
export function oneNodeModel(n: OnnxNode, inputs: readonly OnnxValue[], outputs: readonly OnnxValue[], initializers: readonly OnnxInitializer[] = []): Uint8Array {
  // GraphProto { node = 1; name = 2; initializer = 5; input = 11; output = 12 }
  const graph = messageField(7,
    node(n),
    stringField(2, `bench_${n.opType}`),
    ...initializers.map(initializer),
    ...inputs.map((v) => valueInfo(11, v)),
    ...outputs.map((v) => valueInfo(12, v)));
  // ModelProto { ir_version = 1; producer_name = 2; graph = 7; opset_import = 8 { version = 2 } }
  return concat([intField(1, 8), stringField(2, 'convscope-bench'), graph, messageField(8, intField(2, 13))]);
}

/** The bytes of a ModelProto whose graph is `nodes` in order (a whole network, e.g. VGG16 in bench/peers/vgg16.ts). */
export function graphModel(name: string, nodes: readonly OnnxNode[], inputs: readonly OnnxValue[], outputs: readonly OnnxValue[], initializers: readonly OnnxInitializer[] = []): Uint8Array {
  const graph = messageField(7,
    ...nodes.map(node),
    stringField(2, name),
    ...initializers.map(initializer),
    ...inputs.map((v) => valueInfo(11, v)),
    ...outputs.map((v) => valueInfo(12, v)));
  return concat([intField(1, 8), stringField(2, 'convscope-bench'), graph, messageField(8, intField(2, 13))]);
}
