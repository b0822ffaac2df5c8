// A pool geometry is passed as a pointer to 11 i32s, in the order of PoolGeometry in
// src/runtime/kernel-set.ts, and read in place (unmanaged: nothing is allocated).
@unmanaged
export class Pool {
  planes: i32; h: i32; w: i32; kh: i32; kw: i32;
  sh: i32; sw: i32; pt: i32; pl: i32; oh: i32; ow: i32;
}

/** True when the window has no padding and lies inside the plane: the 2x2 stride-2 SIMD path applies. */
export function isPlain2x2(p: Pool): bool {
  return p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.pt == 0 && p.pl == 0 && p.oh * 2 <= p.h && p.ow * 2 <= p.w;
}
