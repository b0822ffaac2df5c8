// Pictures from the worker (RGBA at the data's own size) as canvases, scaled up by CSS with
// nearest-neighbour sampling so every pixel of a 7x7 map stays a crisp square.
import type { Picture } from '../session.ts';
import { h } from './dom.ts';

export function pictureCanvas(p: Picture, cssWidth: number, label?: string): HTMLCanvasElement {
  const canvas = h('canvas', { width: p.width, height: p.height, class: 'pixelated', role: 'img', 'aria-label': label });
  drawPicture(canvas, p);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${Math.round((cssWidth * p.height) / p.width)}px`;
  return canvas;
}

export function drawPicture(canvas: HTMLCanvasElement, p: Picture): void {
  if (canvas.width !== p.width || canvas.height !== p.height) {
    canvas.width = p.width;
    canvas.height = p.height;
  }
  const data = new Uint8ClampedArray(p.pixels.buffer as ArrayBuffer, p.pixels.byteOffset, p.pixels.byteLength);
  canvas.getContext('2d')!.putImageData(new ImageData(data, p.width, p.height), 0, 0);
}

/** A labelled picture: the canvas with a caption under it. */
export function figure(p: Picture, cssWidth: number, caption: string, title?: string): HTMLElement {
  return h('figure', {}, pictureCanvas(p, cssWidth, title ?? caption), h('figcaption', {}, caption));
}
