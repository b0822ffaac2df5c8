import { Pool, isPlain2x2 } from './geometry';

/**
 * f32_max_pool2d: y (planes, oh, ow) = window max of x (planes, h, w); switches (i32, same count as y)
 * = row*w + col of the first maximum in row-major order. Padded positions never win.
 */
export function f32_max_pool2d(g: usize, x: usize, y: usize, switches: usize): void {
  const p = changetype<Pool>(g);
  const planeIn = <usize>p.h * <usize>p.w;
  const planeOut = <usize>p.oh * <usize>p.ow;
  const simd2x2 = ASC_FEATURE_SIMD && isPlain2x2(p);
  for (let plane = 0; plane < p.planes; plane++) {
    const xp = x + ((<usize>plane * planeIn) << 2);
    const yp = y + ((<usize>plane * planeOut) << 2);
    const sp = switches + ((<usize>plane * planeOut) << 2);
    for (let oy = 0; oy < p.oh; oy++) {
      let ox = 0;
      if (simd2x2) ox = maxPool2x2Row(p, xp, oy, yp, sp);
      for (; ox < p.ow; ox++) maxPoolWindow(p, xp, oy, ox, yp, sp);
    }
  }
}

function maxPoolWindow(p: Pool, xp: usize, oy: i32, ox: i32, yp: usize, sp: usize): void {
  const y0 = oy * p.sh - p.pt;
  const x0 = ox * p.sw - p.pl;
  const yStart = max(y0, 0);
  const yEnd = min(y0 + p.kh, p.h);
  const xStart = max(x0, 0);
  const xEnd = min(x0 + p.kw, p.w);
  let bestIndex = yStart * p.w + xStart;
  let best = load<f32>(xp + (<usize>bestIndex << 2));
  for (let iy = yStart; iy < yEnd; iy++) {
    for (let ix = xStart; ix < xEnd; ix++) {
      const index = iy * p.w + ix;
      const v = load<f32>(xp + (<usize>index << 2));
      if (v > best) {
        best = v;
        bestIndex = index;
      }
    }
  }
  const o = <usize>(oy * p.ow + ox) << 2;
  store<f32>(yp + o, best);
  store<i32>(sp + o, bestIndex);
}

// Four 2x2 stride-2 windows at a time: even/odd columns of the two rows are split with
// shuffles and compared in row-major window order, so ties keep the earlier position.
// Returns the first output column it did not do.
function maxPool2x2Row(p: Pool, xp: usize, oy: i32, yp: usize, sp: usize): i32 {
  const w = p.w;
  const row0 = xp + ((<usize>(2 * oy) * <usize>w) << 2);
  const row1 = row0 + (<usize>w << 2);
  const vw = i32x4.splat(w);
  const vone = i32x4.splat(1);
  let ox = 0;
  for (; ox + 4 <= p.ow; ox += 4) {
    const off = <usize>(2 * ox) << 2;
    const a0 = v128.load(row0 + off);
    const a1 = v128.load(row0 + off, 16);
    const b0 = v128.load(row1 + off);
    const b1 = v128.load(row1 + off, 16);
    const topLeft = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
    const topRight = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
    const bottomLeft = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
    const bottomRight = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
    const base = 2 * oy * w + 2 * ox;
    const vindexTopLeft = i32x4.add(i32x4.splat(base), i32x4(0, 2, 4, 6));
    let best = topLeft;
    let index = vindexTopLeft;
    let mask = f32x4.gt(topRight, best);
    best = v128.bitselect(topRight, best, mask);
    index = v128.bitselect(i32x4.add(vindexTopLeft, vone), index, mask);
    mask = f32x4.gt(bottomLeft, best);
    best = v128.bitselect(bottomLeft, best, mask);
    index = v128.bitselect(i32x4.add(vindexTopLeft, vw), index, mask);
    mask = f32x4.gt(bottomRight, best);
    best = v128.bitselect(bottomRight, best, mask);
    index = v128.bitselect(i32x4.add(i32x4.add(vindexTopLeft, vw), vone), index, mask);
    const o = <usize>(oy * p.ow + ox) << 2;
    v128.store(yp + o, best);
    v128.store(sp + o, index);
  }
  return ox;
}

/**
 * f32_max_unpool2d: dx (planes, h, w) = 0, then dx[plane][switches[i]] += r[i]. Returns -1, or the
 * index of the first switch outside [0, h*w) (dx is then unspecified): the op's check, in the loop
 * that reads the switches anyway.
 */
export function f32_max_unpool2d(g: usize, r: usize, switches: usize, dx: usize): i32 {
  const p = changetype<Pool>(g);
  const planeIn = <usize>p.h * <usize>p.w;
  const planeOut = p.oh * p.ow;
  memory.fill(dx, 0, (<usize>p.planes * planeIn) << 2);
  for (let plane = 0; plane < p.planes; plane++) {
    const dxp = dx + ((<usize>plane * planeIn) << 2);
    const base = <usize>plane * <usize>planeOut;
    for (let i = 0; i < planeOut; i++) {
      const o = (base + <usize>i) << 2;
      const s = <usize>load<u32>(switches + o);
      if (s >= planeIn) return <i32>(base + <usize>i);
      const target = dxp + (s << 2);
      store<f32>(target, load<f32>(target) + load<f32>(r + o));
    }
  }
  return -1;
}
