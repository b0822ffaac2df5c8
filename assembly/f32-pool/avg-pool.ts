import { Pool } from './geometry';

/** f32_avg_pool2d: y = mean of each window's in-bounds positions (padding is not counted, as in Keras). */
export function f32_avg_pool2d(g: usize, x: usize, y: usize): void {
  const p = changetype<Pool>(g);
  const planeIn = <usize>p.h * <usize>p.w;
  const planeOut = <usize>p.oh * <usize>p.ow;
  for (let plane = 0; plane < p.planes; plane++) {
    const xp = x + ((<usize>plane * planeIn) << 2);
    const yp = y + ((<usize>plane * planeOut) << 2);
    for (let oy = 0; oy < p.oh; oy++) {
      const y0 = oy * p.sh - p.pt;
      const yStart = max(y0, 0);
      const yEnd = min(y0 + p.kh, p.h);
      for (let ox = 0; ox < p.ow; ox++) {
        const x0 = ox * p.sw - p.pl;
        const xStart = max(x0, 0);
        const xEnd = min(x0 + p.kw, p.w);
        let s: f32 = 0;
        for (let iy = yStart; iy < yEnd; iy++) {
          const rowp = xp + ((<usize>iy * <usize>p.w) << 2);
          for (let ix = xStart; ix < xEnd; ix++) s += load<f32>(rowp + (<usize>ix << 2));
        }
        store<f32>(yp + ((<usize>(oy * p.ow + ox)) << 2), s / <f32>((yEnd - yStart) * (xEnd - xStart)));
      }
    }
  }
}

/** f32_avg_pool2d_backward: the adjoint; each dy value divided by its window's count, added over the window. Overwrites dx. */
export function f32_avg_pool2d_backward(g: usize, dy: usize, dx: usize): void {
  const p = changetype<Pool>(g);
  const planeIn = <usize>p.h * <usize>p.w;
  const planeOut = <usize>p.oh * <usize>p.ow;
  memory.fill(dx, 0, (<usize>p.planes * planeIn) << 2);
  for (let plane = 0; plane < p.planes; plane++) {
    const dxp = dx + ((<usize>plane * planeIn) << 2);
    const dyp = dy + ((<usize>plane * planeOut) << 2);
    for (let oy = 0; oy < p.oh; oy++) {
      const y0 = oy * p.sh - p.pt;
      const yStart = max(y0, 0);
      const yEnd = min(y0 + p.kh, p.h);
      for (let ox = 0; ox < p.ow; ox++) {
        const x0 = ox * p.sw - p.pl;
        const xStart = max(x0, 0);
        const xEnd = min(x0 + p.kw, p.w);
        const v = load<f32>(dyp + ((<usize>(oy * p.ow + ox)) << 2)) / <f32>((yEnd - yStart) * (xEnd - xStart));
        for (let iy = yStart; iy < yEnd; iy++) {
          const rowp = dxp + ((<usize>iy * <usize>p.w) << 2);
          for (let ix = xStart; ix < xEnd; ix++) {
            const q = rowp + (<usize>ix << 2);
            store<f32>(q, load<f32>(q) + v);
          }
        }
      }
    }
  }
}
