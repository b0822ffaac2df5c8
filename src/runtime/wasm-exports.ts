/**
 * The typed mirror of every export of assembly/index.ts. Pointers are byte addresses in the
 * module's memory; geometry pointers point at the i32 records that wasm-kernels.ts writes.
 */
export interface WasmExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  f32_gemm(m: number, n: number, k: number, a: number, lda: number, transA: number, b: number, ldb: number, c: number, ldc: number, biasRow: number, biasCol: number, accumulate: number): void;
  f32_gemm_k_block(k: number): number;
  f32_gemm_nt(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  f32_transpose(rows: number, cols: number, src: number, dst: number): void;
  f32_conv2d_scratch(geometry: number): number;
  f32_conv2d(geometry: number, x: number, w: number, bias: number, y: number, scratch: number): void;
  f32_conv2d_prepare(geometry: number, x: number, image: number, scratch: number): number;
  f32_conv2d_columns(geometry: number, src: number, w: number, bias: number, y: number, image: number, scratch: number, j0: number, j1: number): void;
  f32_gemm_scratch_bytes(): number;
  f32_use_scratch(base: number): void;
  f32_conv2d_backward_data_scratch(geometry: number): number;
  f32_conv2d_backward_data(geometry: number, dy: number, w: number, dx: number, scratch: number): void;
  f32_winograd_applies(geometry: number): number;
  f32_winograd_adjoint(geometry: number, adjoint: number): number;
  f32_winograd_tile_rows(geometry: number): number;
  f32_winograd_chunk_rows(geometry: number): number;
  f32_winograd_planes(): number;
  f32_winograd_weights(geometry: number, w: number, scratch: number, adjoint: number, o0: number, o1: number): void;
  f32_winograd_image(geometry: number, x: number, image: number, scratch: number): void;
  f32_winograd_rows(geometry: number, bias: number, y: number, image: number, scratch: number, r0: number, r1: number): void;
  f32_winograd_input(geometry: number, scratch: number, r0: number, rows: number, j0: number, j1: number): void;
  f32_winograd_products(geometry: number, scratch: number, rows: number, j0: number, j1: number): void;
  f32_winograd_output(geometry: number, bias: number, y: number, image: number, scratch: number, r0: number, rows: number, j0: number, j1: number): void;
  f32_conv2d_backward_filter_scratch(geometry: number): number;
  f32_conv2d_backward_filter(geometry: number, x: number, dy: number, dw: number, db: number, scratch: number): void;
  f32_dwconv2d_scratch(geometry: number): number;
  f32_dwconv2d(geometry: number, x: number, w: number, bias: number, y: number, scratch: number): void;
  f32_dwconv2d_backward_data_scratch(geometry: number): number;
  f32_dwconv2d_backward_data(geometry: number, dy: number, w: number, dx: number, scratch: number): void;
  f32_dwconv2d_backward_filter(geometry: number, x: number, dy: number, dw: number, db: number): void;
  f32_max_pool2d(geometry: number, x: number, y: number, switches: number): void;
  f32_max_unpool2d(geometry: number, r: number, switches: number, dx: number): void;
  f32_avg_pool2d(geometry: number, x: number, y: number): void;
  f32_avg_pool2d_backward(geometry: number, dy: number, dx: number): void;
  f32_relu(count: number, x: number, y: number): void;
  f32_relu_backward(rule: number, count: number, r: number, z: number, out: number): void;
  f32_sigmoid(count: number, x: number, y: number): void;
  f32_tanh(count: number, x: number, y: number): void;
  f32_sigmoid_backward(count: number, r: number, a: number, out: number): void;
  f32_tanh_backward(count: number, r: number, a: number, out: number): void;
  f32_relu6(count: number, x: number, y: number): void;
  f32_relu6_backward(rule: number, count: number, r: number, z: number, out: number): void;
  f32_swish(count: number, x: number, y: number): void;
  f32_swish_backward(count: number, r: number, z: number, out: number): void;
  f32_hard_swish(count: number, x: number, y: number): void;
  f32_hard_swish_backward(count: number, r: number, z: number, out: number): void;
  f32_gelu(count: number, x: number, y: number): void;
  f32_gelu_backward(count: number, r: number, z: number, out: number): void;
  f32_gelu_tanh(count: number, x: number, y: number): void;
  f32_gelu_tanh_backward(count: number, r: number, z: number, out: number): void;
  f32_softmax(rows: number, cols: number, x: number, y: number): void;
  f32_channel_affine(n: number, channels: number, inner: number, x: number, scale: number, shift: number, y: number): void;
  f32_add(count: number, a: number, b: number, out: number): void;
  f32_mul(count: number, a: number, b: number, out: number): void;
  f32_scale(count: number, a: number, s: number, out: number): void;
}
