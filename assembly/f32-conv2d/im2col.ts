import { Conv, validRange } from './geometry';

/**
 * col[(ci*kh + ky)*kw + kx, oy*ow + ox] = x[ci, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw], 0 outside.
 * x is one image (cin, h, w); col is (cin*kh*kw, oh*ow).
 */
export function im2col(c: Conv, x: usize, col: usize): void {
  const ohw = c.oh * c.ow;
  let row: i32 = 0;
  for (let ci = 0; ci < c.cin; ci++) {
    const plane = x + ((<usize>ci * <usize>c.h * <usize>c.w) << 2);
    for (let ky = 0; ky < c.kh; ky++) {
      for (let kx = 0; kx < c.kw; kx++) {
        const dst = col + ((<usize>row * <usize>ohw) << 2);
        const xOffset = kx * c.dw - c.pl;
        const range = validRange(c.ow, c.w, c.sw, xOffset);
        const lo = <i32>(range >> 32);
        const hi = <i32>(range & 0xffffffff);
        for (let oy = 0; oy < c.oh; oy++) {
          const iy = oy * c.sh - c.pt + ky * c.dh;
          const out = dst + ((<usize>oy * <usize>c.ow) << 2);
          if (iy < 0 || iy >= c.h || lo >= hi) {
            memory.fill(out, 0, <usize>c.ow << 2);
            continue;
          }
          if (lo > 0) memory.fill(out, 0, <usize>lo << 2);
          if (hi < c.ow) memory.fill(out + (<usize>hi << 2), 0, <usize>(c.ow - hi) << 2);
          const src = plane + ((<usize>iy * <usize>c.w) << 2);
          if (c.sw == 1) {
            memory.copy(out + (<usize>lo << 2), src + (<usize>(lo + xOffset) << 2), <usize>(hi - lo) << 2);
          } else {
            for (let ox = lo; ox < hi; ox++) {
              store<f32>(out + (<usize>ox << 2), load<f32>(src + (<usize>(ox * c.sw + xOffset) << 2)));
            }
          }
        }
        row++;
      }
    }
  }
}
