// A conv geometry is passed as a pointer to 15 i32s, in the order of ConvGeometry in
// src/runtime/kernel-set.ts: n, cin, h, w, cout, kh, kw, strideH, strideW, dilationH,
// dilationW, padTop, padLeft, oh, ow.

// Read in place through changetype<Conv>(pointer): unmanaged, so nothing is allocated.
@unmanaged
export class Conv {
  n: i32; cin: i32; h: i32; w: i32; cout: i32;
  kh: i32; kw: i32; sh: i32; sw: i32; dh: i32; dw: i32;
  pt: i32; pl: i32; oh: i32; ow: i32;
}

/** First and one-past-last output column whose input column ox*sw - pl + off lies in [0, w). */
// @ts-ignore: decorator
@inline
export function validRange(outLen: i32, inLen: i32, stride: i32, offset: i32): u64 {
  // offset = kx*dw - pl; need 0 <= ox*stride + offset < inLen
  let lo = 0;
  if (offset < 0) lo = (-offset + stride - 1) / stride;
  let hi = outLen;
  const limit = inLen - offset; // ox*stride < limit
  if (limit <= 0) hi = 0;
  else hi = min(outLen, (limit + stride - 1) / stride);
  if (hi < lo) hi = lo;
  return (<u64>lo << 32) | <u64>hi;
}
