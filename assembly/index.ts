export { heap_base } from './memory';
export { f32_gemm, f32_gemm_k_block, f32_gemm_scratch_bytes, f32_use_scratch } from './f32-gemm/gemm';
export { f32_gemm_nt } from './f32-gemm/gemm-nt';
export { f32_transpose } from './f32-gemm/transpose';
export {
  f32_conv2d, f32_conv2d_scratch, f32_conv2d_prepare, f32_conv2d_columns,
  f32_conv2d_backward_data, f32_conv2d_backward_data_scratch,
  f32_conv2d_backward_filter, f32_conv2d_backward_filter_scratch,
} from './f32-conv2d/conv2d';
export {
  f32_winograd_applies, f32_winograd_adjoint, f32_winograd_planes, f32_winograd_tile_rows, f32_winograd_chunk_rows,
  f32_winograd_weights, f32_winograd_image, f32_winograd_rows,
  f32_winograd_input, f32_winograd_products, f32_winograd_output,
} from './f32-conv2d/winograd';
export { f32_dwconv2d, f32_dwconv2d_scratch, f32_dwconv2d_backward_data, f32_dwconv2d_backward_data_scratch } from './f32-dwconv2d/dwconv2d';
export { f32_dwconv2d_backward_filter } from './f32-dwconv2d/backward-filter';
export { f32_max_pool2d, f32_max_unpool2d } from './f32-pool/max-pool';
export { f32_avg_pool2d, f32_avg_pool2d_backward } from './f32-pool/avg-pool';
export { f32_relu, f32_relu_backward } from './f32-eltwise/relu';
export { f32_sigmoid, f32_tanh, f32_sigmoid_backward, f32_tanh_backward } from './f32-eltwise/sigmoid-tanh';
export { f32_relu6, f32_relu6_backward } from './f32-eltwise/relu6';
export { f32_swish, f32_swish_backward, f32_hard_swish, f32_hard_swish_backward } from './f32-eltwise/swish';
export { f32_gelu, f32_gelu_backward, f32_gelu_tanh, f32_gelu_tanh_backward } from './f32-eltwise/gelu';
export { f32_softmax } from './f32-eltwise/softmax';
export { f32_channel_affine } from './f32-eltwise/affine';
export { f32_add, f32_mul, f32_scale } from './f32-eltwise/arith';
